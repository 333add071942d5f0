// HTTP/1.1 over a bare TCP socket, for tests that send what well-behaved
// clients refuse to: control characters or raw UTF-8 in the request line and
// headers, unencoded paths (`../`, `%zz`), no Content-Type, huge bodies. One
// connection per request (`Connection: close`); the answer is read to the end.
import net from 'node:net';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent, e.g. `/v1/workspaces/a%00b?x=1`. */
  target: string;
  /** Sent in this order, as UTF-8; undefined values are left out. */
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function parseAnswer(raw: Buffer): RawAnswer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const eol = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (eol < 0 || !(size > 0)) break;
      chunks.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, text: body.toString('utf8') };
}

/** Sends one request to `base` (http://host:port) and resolves with the parsed answer. */
export function rawRequest(base: string, req: RawRequest, timeoutMs = 20_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(req.headers ?? {})) if (value !== undefined) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');

  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) });
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      // The server may answer early (401, 413) and close while the body is still
      // being written: a complete answer counts even if the write then failed.
      const answer = parseAnswer(Buffer.concat(received));
      if (answer) resolve(answer);
      else reject(err ?? new Error(`no complete HTTP answer (${Buffer.concat(received).length} bytes)`));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => finish());
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => {
      socket.write(head);
      if (body) socket.write(body);
    });
  });
}
