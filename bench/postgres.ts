/**
 * The benchmark's PostgreSQL server: a cluster kept under .tmp/bench/postgres (so the loaded dataset
 * survives between runs), started on a free loopback port for the run and stopped after it. As root, the
 * server runs as the `postgres` system user, which owns the cluster's folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findPostgresBin, freePort } from '../test/helpers/postgres.ts';
import { BENCH_DIR } from './dataset.ts';

export interface BenchPostgres {
  url(database: string): string;
  stop(): void;
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startBenchPostgres(log: (line: string) => void): Promise<BenchPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('--db postgresql needs a PostgreSQL server (initdb, pg_ctl); none was found.');
  const dir = path.join(BENCH_DIR, 'postgres');
  const data = path.join(dir, 'data');
  const user = runAs();
  const options = { stdio: 'pipe' as const, ...(user ?? {}) };
  if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    if (user) fs.chownSync(dir, user.uid, user.gid);
    execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--locale=C', '-E', 'UTF8'], options);
    log('postgresql: new cluster');
  }
  const port = await freePort();
  // Durability as a deploy would have it (fsync and synchronous commits on); only more connections allowed.
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  execFileSync(path.join(bin, 'pg_ctl'), ['-D', data, '-o', settings, '-l', path.join(dir, 'log'), '-w', 'start'], options);
  return {
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop() {
      execFileSync(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', 'stop'], options);
    },
  };
}
