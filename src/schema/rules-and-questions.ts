/** Group rules and membership questions: shown to anyone who can see the group, before joining. */
import { builder } from '../builder.ts';

export const GroupRule = builder.prismaObject('GroupRule', {
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
  }),
});

export const MembershipQuestion = builder.prismaObject('MembershipQuestion', {
  fields: (t) => ({
    id: t.exposeID('id'),
    text: t.exposeString('text'),
    required: t.exposeBoolean('required'),
  }),
});
