/**
 * Group rules and membership questions: shown to anyone who can see the group, before joining; and the
 * mutations that replace them (setGroupRules, setMembershipQuestions) with their input types.
 */
import { builder } from '../builder.ts';
import { signedIn } from '../context.ts';
import * as groups from '../domain/groups.ts';
import { Group as GroupType } from './groups.ts';

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

const GroupRuleInput = builder.inputType('GroupRuleInput', {
  fields: (t) => ({
    title: t.string({ required: true, description: 'Not blank, one line (no control or bidirectional control characters), at most 100 characters.' }),
    description: t.string({ required: true, description: 'Not blank, at most 1,000 characters.' }),
  }),
});

const MembershipQuestionInput = builder.inputType('MembershipQuestionInput', {
  fields: (t) => ({
    text: t.string({ required: true, description: 'Not blank, one line (no control or bidirectional control characters), at most 300 characters.' }),
    required: t.boolean({ defaultValue: false, description: 'A join request must answer it (PRIVATE groups ask their questions).' }),
  }),
});

builder.mutationFields((t) => ({
  setGroupRules: t.field({
    type: GroupType,
    description: 'Replaces the group’s rules with these, in this order.',
    args: { groupId: t.arg.id({ required: true }), rules: t.arg({ type: [GroupRuleInput], required: true }) },
    resolve: (_root, args, ctx) => groups.setGroupRules(signedIn(ctx), args.groupId, args.rules),
  }),
  setMembershipQuestions: t.field({
    type: GroupType,
    description: 'Replaces the group’s membership questions with these, in this order. A question keeps its id while its text stays (case and accents aside); one whose text changed is new, with a new id. Two questions of the same text are BAD_USER_INPUT.',
    args: {
      groupId: t.arg.id({ required: true }),
      questions: t.arg({ type: [MembershipQuestionInput], required: true }),
    },
    resolve: (_root, args, ctx) => groups.setMembershipQuestions(signedIn(ctx), args.groupId, args.questions),
  }),
}));
