/** Prints the schema to schema.graphql (sorted). `--check` fails when the checked-in file is stale. */
import fs from 'node:fs';
import { printSchema } from 'graphql';
import { sortedSchema } from '../src/schema/index.ts';

const printed = `${printSchema(sortedSchema)}\n`;
if (process.argv.includes('--check')) {
  const current = fs.existsSync('schema.graphql') ? fs.readFileSync('schema.graphql', 'utf8') : '';
  if (current !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
} else {
  fs.writeFileSync('schema.graphql', printed);
  console.log('schema.graphql written.');
}
