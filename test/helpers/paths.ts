import path from 'node:path';

/** Scratch space of test runs (ignored by git). */
export const TMP_DIR = path.resolve('.tmp/test');

/**
 * The migrated, empty SQLite database each test file starts from. One per test run (global setup names it
 * and passes it to the workers through the environment), so concurrent runs never share it.
 */
export function templateDb(): string {
  return process.env.GATEWAY_TEMPLATE_DB ?? path.join(TMP_DIR, `template-${process.pid}.db`);
}
