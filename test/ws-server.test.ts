/**
 * live/ws.ts on its own, without a gateway: a connection ended by an error of the server's is closed with
 * 4500 (graphql-ws's Internal Server Error), the error goes to `onFailure` (the gateway's logger) rather
 * than to stderr, and GatewayWebSocket remembers the code that ended it. No database: SQLite project only.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { GatewayWebSocket, serveGraphqlWs } from '../src/live/ws.ts';
import { TEST_DATABASE } from './helpers/database.ts';

describe.runIf(TEST_DATABASE === 'sqlite')('graphql-ws serving (live/ws.ts)', () => {
  let server: WebSocketServer | null = null;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = null;
  });

  it('closes a connection with 4500 on an error of the server’s, and reports the error to onFailure', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: GatewayWebSocket });
    await new Promise((resolve) => server!.once('listening', resolve));
    const failures: unknown[] = [];
    const ended: (number | null)[] = [];
    server.on('connection', (socket: GatewayWebSocket) => socket.once('close', () => ended.push(socket.closeCode)));
    serveGraphqlWs(
      server,
      {
        onSubscribe: () => {
          throw new Error('boom');
        },
      },
      { connectionInitTimeoutMs: 1_000, maxBufferedBytes: 65_536, onFailure: (error) => failures.push(error) },
    );
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    client.once('open', () => client.send(JSON.stringify({ type: 'connection_init' })));
    client.once('message', () => client.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } })));
    expect(await closed).toBe(4500);
    expect(failures.map((error) => (error as Error).message)).toEqual(['boom']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toEqual([4500]);
  });
});
