/** Per-group settings and the app-wide GroupsSettings (who may create groups). */
import type { Group } from '../generated/prisma/client.ts';
import type { Db } from '../db/client.ts';
import { builder } from '../builder.ts';
import { signedIn } from '../context.ts';
import * as groups from '../domain/groups.ts';
import { GroupCreationPolicy } from './enums.ts';
import { Group as GroupType } from './groups.ts';

export const GroupSettings = builder
  .objectRef<Pick<Group, 'membersCanApprove' | 'membersCanInvite' | 'showMemberList'>>('GroupSettings')
  .implement({
    fields: (t) => ({
      membersCanApprove: t.exposeBoolean('membersCanApprove', { description: 'Plain members may decide join requests.' }),
      membersCanInvite: t.exposeBoolean('membersCanInvite', { description: 'Plain members may add members (PUBLIC/PRIVATE).' }),
      showMemberList: t.exposeBoolean('showMemberList', {
        description: 'The member list is shown to whoever may see the content; false: to admins and Groups Managers only (not to plain members, nor anyone outside).',
      }),
    }),
  });

export const GroupSettingsInput = builder.inputType('GroupSettingsInput', {
  fields: (t) => ({
    membersCanApprove: t.boolean(),
    membersCanInvite: t.boolean(),
    showMemberList: t.boolean(),
  }),
});

/** The single app-wide settings row; the defaults (ADMIN_APPROVAL) until a manager changes them. */
export async function groupsSettingsRow(db: Db) {
  return (await db.groupsSettings.findUnique({ where: { id: 1 } })) ?? { id: 1, groupCreation: 'ADMIN_APPROVAL' as const };
}

const GroupsSettings = builder.objectRef<{ groupCreation: 'ALL_MEMBERS' | 'ADMIN_APPROVAL' | 'ADMINS_ONLY' }>('GroupsSettings').implement({
  fields: (t) => ({
    groupCreation: t.expose('groupCreation', { type: GroupCreationPolicy, description: 'Who may create groups.' }),
  }),
});

const GroupsSettingsInput = builder.inputType('GroupsSettingsInput', {
  fields: (t) => ({ groupCreation: t.field({ type: GroupCreationPolicy, required: true }) }),
});

builder.queryFields((t) => ({
  groupsSettings: t.field({ type: GroupsSettings, resolve: (_root, _args, ctx) => groupsSettingsRow(ctx.db) }),
}));

builder.mutationFields((t) => ({
  updateGroupSettings: t.field({
    type: GroupType,
    description: 'Changes the settings given (admins and Groups Managers); a null or missing one stays as it is.',
    args: { groupId: t.arg.id({ required: true }), input: t.arg({ type: GroupSettingsInput, required: true }) },
    resolve: (_root, args, ctx) => groups.updateGroupSettings(signedIn(ctx), args.groupId, args.input),
  }),
  updateGroupsSettings: t.field({
    type: GroupsSettings,
    description:
      'Sets how site members create groups (Groups Managers): ALL_MEMBERS create directly, ADMIN_APPROVAL makes a create request for a Groups Manager, ADMINS_ONLY leaves creation to Groups Managers. Requests already filed stay as they are.',
    args: { input: t.arg({ type: GroupsSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.db.groupsSettings.upsert({
        where: { id: 1 },
        create: { id: 1, groupCreation: input.groupCreation },
        update: { groupCreation: input.groupCreation },
      }),
  }),
}));
