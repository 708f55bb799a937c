/**
 * A throwaway PostgreSQL server for the test run: initdb into a temporary folder, started on a free loopback
 * port, removed afterwards. Used when the suite runs against PostgreSQL (`TEST_DATABASE=postgresql`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The folder holding initdb and pg_ctl, or null when no PostgreSQL server is installed. */
export function findPostgresBin(): string | null {
  const candidates = [process.env.POSTGRES_BIN ?? ''];
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const version of fs.readdirSync(debian).sort().reverse()) candidates.push(path.join(debian, version, 'bin'));
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) candidates.push(path.dirname(fs.realpathSync(onPath)));
  return candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) ?? null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root: when the tests run as root, the server runs as the `postgres` system
 * user (which Debian's package creates), owning its temporary folder.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface PostgresServer {
  /** A URL for the `postgres` superuser on database `database`. */
  url(database: string): string;
  stop(): void;
}

export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-pg-'));
  const user = runAs();
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const options = { stdio: 'pipe' as const, ...(user ?? {}) };
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--locale=C', '-E', 'UTF8'], options);
  const port = await freePort();
  // fsync off: a test server's data is thrown away, durability costs time for nothing.
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  execFileSync(path.join(bin, 'pg_ctl'), ['-D', data, '-o', settings, '-l', path.join(dir, 'log'), '-w', 'start'], options);
  return {
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop() {
      try {
        execFileSync(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], options);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
