/**
 * The load at a fixed rate, in a process of its own: one request every 1/rate s, whether or not earlier
 * ones were answered (an open model, like wrk2), each latency counted from the moment the request was due.
 * The runner sends it the requests, ready-made, and it answers with the figures.
 *
 * A process of its own because a late request counts as a slow answer: in the runner, whose heap holds the
 * dataset's facts and thousands of tokens, its own garbage collections (100-140 ms per 10 s row) made
 * requests late, and at 150 requests a second a few such pauses are 1 % of them: the row's p99 was the
 * runner's (43.9 ms client-side where the gateway's own log had 15.7 ms; bench/README.md, round 12). Here
 * the heap is the requests and the latencies, and sockets come from a keep-alive agent.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface PacedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface PacedCommand {
  type: 'run';
  url: string;
  rate: number;
  seconds: number;
  /** Sent in turn, from the first again when the run needs more. */
  requests: PacedRequest[];
}

export interface PacedFigures {
  latencies: number[];
  errors: number;
  seconds: number;
}

function send(agent: http.Agent, url: URL, request: PacedRequest): Promise<{ ok: boolean }> {
  return new Promise((resolve) => {
    const outgoing = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) }, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ ok: response.statusCode === 200 && !body.includes('"errors"') }));
        response.on('error', () => resolve({ ok: false }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', () => resolve({ ok: false }));
    outgoing.end(request.body);
  });
}

async function run(command: PacedCommand): Promise<PacedFigures> {
  const url = new URL(command.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.max(1, Math.round(command.rate * command.seconds));
  const interval = 1000 / command.rate;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const request = command.requests[i % command.requests.length]!;
    sent.push(
      send(agent, url, request).then(({ ok }) => {
        latencies.push(performance.now() - due);
        if (!ok) errors++;
      }),
    );
  }
  await Promise.all(sent);
  agent.destroy();
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (message: PacedCommand) => {
  if (message.type !== 'run') return;
  void run(message).then((figures) => {
    process.send!({ type: 'done', figures });
    process.disconnect();
  });
});
process.send!({ type: 'ready' });
