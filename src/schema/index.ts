/** The whole schema: each import below adds its types and root fields to the builder. */
import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.ts';
import './enums.ts';
import './groups.ts';
import './settings.ts';
import './rules-and-questions.ts';
import './members.ts';
import './join-requests.ts';
import './create-requests.ts';
import './site-members.ts';
import './viewer.ts';
import './events.ts';

/** The executable schema, before permissions are applied (app.ts applies them). */
export const schema = builder.toSchema();

/** The schema as printed to schema.graphql: sorted, so diffs show real changes only. */
export const sortedSchema = lexicographicSortSchema(schema);
