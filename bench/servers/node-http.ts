/** Baseline: the cheapest possible answer, a fixed JSON body from node:http. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '../child.ts';

const body = JSON.stringify({ data: { __typename: 'Query' } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => serve((server.address() as AddressInfo).port, { close: () => void server.close() }));
