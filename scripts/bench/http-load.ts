// Closed-loop HTTP load: `clients` concurrent keep-alive connections, each
// sending the next usage request as soon as the previous one is answered,
// for `seconds`. Every request has a fresh idempotency key.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { summarize, type RunStats } from './stats';

function post(agent: http.Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer bench-token' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runHttpLoad(opts: { port: number; clients: number; seconds: number; workspaceFor: (i: number) => string; label: string }): Promise<RunStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients });
  const latencies: number[] = [];
  let errors = 0;
  let seq = 0;
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  const client = async (c: number) => {
    while (performance.now() < deadline) {
      const n = seq++;
      const body = JSON.stringify({ idempotencyKey: `${opts.label}-${c}-${n}`, memberId: `member-${c}`, action: 'chat_question', feature: 'chat' });
      const t0 = performance.now();
      try {
        const status = await post(agent, opts.port, `/v1/workspaces/${opts.workspaceFor(n)}/usage`, body);
        if (status === 200) latencies.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return summarize(latencies, errors, elapsed);
}
