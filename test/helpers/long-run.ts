/**
 * Longer runs of the randomized suites, e.g. `npm run test:oracle -- --worlds 5000` or
 * `npm run test:fuzz -- --runs 2000 --seed 7`. Turns the flags into the environment variables the test file
 * reads and runs vitest on that file alone (both databases when PostgreSQL is installed); any other argument
 * goes to vitest as it is (e.g. `--project sqlite`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const SUITES = {
  oracle: { file: 'test/oracle.test.ts', count: ['--worlds', 'ORACLE_WORLDS'], seed: 'ORACLE_SEED' },
  fuzz: { file: 'test/fuzz.test.ts', count: ['--runs', 'FUZZ_RUNS'], seed: 'FUZZ_SEED' },
} as const;

const [suiteName, ...args] = process.argv.slice(2);
const suite = SUITES[suiteName as keyof typeof SUITES];
if (!suite) {
  console.error(`Usage: long-run.ts <${Object.keys(SUITES).join('|')}> [${Object.values(SUITES).map((s) => s.count[0]).join('|')} N] [--seed S] [vitest options]`);
  process.exit(2);
}

const env: NodeJS.ProcessEnv = { ...process.env };
const rest: string[] = [];
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i].split('=', 2);
  const value = () => inline ?? args[++i];
  if (flag === suite.count[0]) env[suite.count[1]] = value();
  else if (flag === '--seed') env[suite.seed] = value();
  else rest.push(args[i]);
}
for (const name of [suite.count[1], suite.seed]) {
  if (env[name] !== undefined && !/^\d+$/.test(env[name]!)) {
    console.error(`${name} must be a whole number, got "${env[name]}"`);
    process.exit(2);
  }
}

const vitest = path.resolve('node_modules/.bin/vitest');
const result = spawnSync(vitest, ['run', suite.file, ...rest], { env, stdio: 'inherit' });
process.exit(result.status ?? 1);
