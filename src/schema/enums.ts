import { builder } from '../builder.ts';
import {
  GroupCreationPolicy as GroupCreationPolicyValues,
  GroupEventType as GroupEventTypeValues,
  GroupPrivacy as GroupPrivacyValues,
  GroupRole as GroupRoleValues,
  RequestStatus as RequestStatusValues,
} from '../generated/prisma/enums.ts';

export const GroupPrivacy = builder.enumType(GroupPrivacyValues, { name: 'GroupPrivacy' });
export const GroupRole = builder.enumType(GroupRoleValues, { name: 'GroupRole' });
export const RequestStatus = builder.enumType(RequestStatusValues, { name: 'RequestStatus' });
export const GroupCreationPolicy = builder.enumType(GroupCreationPolicyValues, { name: 'GroupCreationPolicy' });
export const GroupEventType = builder.enumType(GroupEventTypeValues, { name: 'GroupEventType' });
export const GroupSortField = builder.enumType('GroupSortField', {
  values: ['NAME', 'CREATED_AT', 'MEMBERS_COUNT', 'RECENT_ACTIVITY'] as const,
});
export const SortOrder = builder.enumType('SortOrder', { values: ['ASC', 'DESC'] as const });
export const GroupCreationAccess = builder.enumType('GroupCreationAccess', {
  description: 'What createGroup does for the viewer.',
  values: {
    CREATE: { description: 'Creates the group, with the viewer as its admin.' },
    REQUEST: { description: 'Files a create request for a Groups Manager to decide (ADMIN_APPROVAL).' },
    NOT_ALLOWED: { description: 'Refused: UNAUTHENTICATED for anonymous viewers, FORBIDDEN under ADMINS_ONLY.' },
  } as const,
});
