import path from 'node:path';
import { inject } from 'vitest';
import type {} from './global-setup.ts';

/** Scratch space of test runs (ignored by git). */
export const TMP_DIR = path.resolve('.tmp/test');

/** SQLite run: the migrated, empty template file this run's global setup made. */
export function templateDb(): string {
  return inject('sqliteTemplate');
}
