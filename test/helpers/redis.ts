/**
 * A throwaway Redis for tests: `redis-server` as a child process on a free loopback port, without
 * persistence. It can be stopped and started again on the same port, to test what an outage does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './postgres.ts';

/** The redis-server executable on the PATH, or null when Redis is not installed. */
export function findRedisServer(): string | null {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || null;
}

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Stops the server (its data goes with it: there is none worth keeping). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): its connections stay open, and nothing is answered until resume(). */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
}

/** True once something on `port` answers PING with PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function startRedis(bin: string): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start() {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    const started = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    let output = '';
    started.stderr!.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}: ${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function stop() {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const late = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(late);
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    pause: () => void (child as ChildProcess | null)?.kill('SIGSTOP'),
    resume: () => void (child as ChildProcess | null)?.kill('SIGCONT'),
  };
}

export interface Relay {
  /** redis://127.0.0.1:<relay port>: Redis, as reached through the relay. */
  url: string;
  /** Cuts every connection through the relay and refuses new ones: this client's link to Redis breaks. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
}

/**
 * A TCP relay to a Redis server, for one client's link to be cut while Redis itself and everyone else's
 * connections stay up (a network partition of one instance).
 */
export async function startRelay(redisUrl: string): Promise<Relay> {
  const target = Number(new URL(redisUrl).port);
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  async function restore() {
    const relay = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    server = relay;
  }
  async function cut() {
    const relay = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (relay) await new Promise((resolve) => relay.close(resolve));
  }
  await restore();
  return { url: `redis://127.0.0.1:${port}`, cut, restore };
}
