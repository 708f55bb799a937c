/**
 * `npm run bench:sweep`: the same rows measured at several connection counts, one `npm run bench` per count,
 * and one table of req/s, p50, p99 and p99/p50 per row and count at the end.
 *
 *   npm run bench:sweep -- [--connections 5,10,20,50,100] [--repeat 1] [--scenarios typename]
 *                          [any other flag of npm run bench: --duration, --warmup, --db, --client, --smoke]
 *
 * With a fixed number of connections, each waiting for its answer before it sends the next request, every
 * count past the one where req/s stops growing is "at saturation", and p50 grows with the count (p50 is
 * about connections / throughput). A p99/p50 ratio read at one count says little on its own; this prints it
 * along the whole plateau, beside bare node:http's (bench/README.md, round 19). Each run is a whole
 * `npm run bench` (its own servers, warm-up and steal retries); with --repeat the counts are measured in
 * turn, so that a slow spell of the machine does not land on one count only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './dataset.ts';

// The sweep's own flags are taken out; every other argument goes to each `npm run bench` as it was given
// (--duration 8, --db postgresql, --smoke ...), so that run.ts stays the one place that reads them.
// By hand: node:util's parseArgs, given flags it does not know, cannot hand them on with their values.
const OWN = ['connections', 'repeat', 'scenarios'];
const flags: Record<string, string> = { connections: '5,10,20,50,100', repeat: '1', scenarios: 'typename' };
const passThrough: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [name, inline] = argv[i]!.replace(/^--/, '').split(/=(.*)/s);
  if (argv[i]!.startsWith('--') && OWN.includes(name!)) {
    const value = inline ?? argv[++i];
    if (value === undefined) {
      console.error(`--${name} needs a value`);
      process.exit(2);
    }
    flags[name!] = value;
  } else if (argv[i] === '--label' || argv[i]!.startsWith('--label=')) {
    console.error('--label: the sweep labels each run itself');
    process.exit(2);
  } else {
    passThrough.push(argv[i]!);
  }
}

const counts = flags.connections!.split(',').map((c) => Number(c.trim()));
const repeat = Number(flags.repeat);
if (!counts.length || counts.some((c) => !(Number.isInteger(c) && c >= 1 && c <= 1_000)) || !(Number.isInteger(repeat) && repeat >= 1 && repeat <= 20)) {
  console.error('--connections must be a comma-separated list of 1..1000, --repeat 1..20');
  process.exit(2);
}
if (flags.scenarios!.split(',').map((s) => s.trim()).includes('e')) {
  console.error('--scenarios: the live fan-out (e) does not depend on the connection count; leave it out of a sweep');
  process.exit(2);
}

interface Measured {
  connections: number;
  run: number;
  rows: { name: string; description: string; load?: { rps: number; p50: number; p99: number; errors: number }; stealPercent?: number }[];
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const measured: Measured[] = [];
for (let run = 1; run <= repeat; run++) {
  for (const connections of counts) {
    const label = `sweep-${stamp}-r${run}-c${connections}`;
    console.error(`[sweep] run ${run} of ${repeat}, ${connections} connections`);
    const args = ['run', 'bench', '--', '--scenarios', flags.scenarios!, '--connections', String(connections), '--label', label, ...passThrough];
    const child = spawnSync('npm', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (child.status !== 0) {
      console.error(`[sweep] npm run bench failed at ${connections} connections (exit ${child.status}); stopping`);
      process.exit(1);
    }
    const resultsDir = path.join(BENCH_DIR, 'results');
    const file = fs.readdirSync(resultsDir).find((f) => f.endsWith(`-${label}.json`));
    if (!file) throw new Error(`no results file for ${label} in ${resultsDir}`);
    const { rows } = JSON.parse(fs.readFileSync(path.join(resultsDir, file), 'utf8')) as Pick<Measured, 'rows'>;
    measured.push({ connections, run, rows });
  }
}

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const lines = [
  `Sweep: --scenarios ${flags.scenarios}${passThrough.length ? ` ${passThrough.join(' ')}` : ''}; ${repeat} run${repeat > 1 ? 's' : ''} over ${counts.join(', ')} connections`,
  '',
  '| row | connections | run | req/s | p50 ms | p99 ms | p99/p50 | errors | steal % |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
const names = [...new Set(measured.flatMap((m) => m.rows.filter((r) => r.load).map((r) => r.name)))];
for (const name of names) {
  for (const m of [...measured].sort((a, b) => a.connections - b.connections || a.run - b.run)) {
    const row = m.rows.find((r) => r.name === name);
    if (!row?.load) continue;
    const { rps, p50, p99, errors } = row.load;
    lines.push(`| ${row.description} | ${m.connections} | ${m.run} | ${num(rps)} | ${num(p50, 2)} | ${num(p99, 2)} | ${p50 > 0 ? `${num(p99 / p50, 2)}x` : '–'} | ${errors} | ${row.stealPercent === undefined ? '–' : num(row.stealPercent, 1)} |`);
  }
}
console.log(lines.join('\n'));
const failed = measured.some((m) => m.rows.some((r) => (r.load?.errors ?? 0) > 0));
if (failed) {
  console.error('[sweep] some requests failed');
  process.exitCode = 1;
}
