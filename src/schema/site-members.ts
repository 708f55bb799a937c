/** A member leaving the site: removed from every group at once, by a Groups Manager. */
import { signedIn } from '../context.ts';
import { builder } from '../builder.ts';
import { removeSiteMember, type SiteMemberRemoval } from '../domain/site-members.ts';

const RemoveSiteMemberPayload = builder.objectRef<SiteMemberRemoval>('RemoveSiteMemberPayload').implement({
  fields: (t) => ({
    memberId: t.exposeID('memberId'),
    groupIds: t.exposeIDList('groupIds', { description: 'The groups they were removed from (none when they were in none).' }),
    canceledJoinRequests: t.exposeInt('canceledJoinRequests', { description: 'Their pending join requests, now CANCELED.' }),
    canceledCreateRequests: t.exposeInt('canceledCreateRequests', { description: 'Their pending create requests, now CANCELED.' }),
  }),
});

builder.mutationField('removeSiteMember', (t) =>
  t.field({
    description:
      'For a member deleted from the site (Groups Managers only): removes them from every group (MEMBER_REMOVED in each), cancels their pending join and create requests, and forgets their display name. All or nothing: CONFLICT, naming the groups in extensions.groupIds, while they are the only admin of a group (make another member admin there, or delete it, first). A member in no group is removed from nothing: not an error.',
    type: RemoveSiteMemberPayload,
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => removeSiteMember(signedIn(ctx), args.memberId),
  }),
);
