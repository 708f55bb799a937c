/**
 * One process of live subscribers for the fan-out scenario: opens its share of graphql-ws connections (each
 * with its own viewer's token), subscribes each to `groupEvents`, and notes when every event arrives. The
 * runner (over IPC) asks it to open, to report an event's arrivals, and to close.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

type Command =
  | { type: 'open'; url: string; tokens: string[]; query: string; concurrency: number }
  | { type: 'report' }
  | { type: 'close' };

const sockets: WebSocket[] = [];
/** Per event id: how many subscribers got it, and when the first and the last did (epoch ms, sub-ms). */
const arrivals = new Map<string, { count: number; first: number; last: number }>();
const now = () => performance.timeOrigin + performance.now();
let errors = 0;

function open(url: string, token: string, query: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    let settled = false;
    const settle = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        sockets.push(socket);
        settle(true);
      } else if (message.type === 'next') {
        const at = now();
        const id = message.payload?.data?.groupEvents?.id;
        if (id === undefined) {
          errors++;
          return;
        }
        const seen = arrivals.get(id);
        if (seen) {
          seen.count++;
          seen.last = at;
        } else {
          arrivals.set(id, { count: 1, first: at, last: at });
        }
      } else if (message.type === 'error') {
        errors++;
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    });
    socket.on('error', () => {
      errors++;
      settle(false);
    });
    socket.on('close', () => settle(false));
  });
}

process.on('message', async (command: Command) => {
  if (command.type === 'open') {
    let next = 0;
    let opened = 0;
    let failed = 0;
    const worker = async () => {
      while (next < command.tokens.length) {
        const token = command.tokens[next++];
        if (await open(command.url, token, command.query)) opened++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: command.concurrency }, worker));
    process.send?.({ type: 'opened', opened, failed });
  } else if (command.type === 'report') {
    process.send?.({ type: 'report', arrivals: Object.fromEntries(arrivals), errors });
  } else if (command.type === 'close') {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
