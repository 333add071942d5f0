// A tiny fetch wrapper for tests that drive the API over real HTTP.

// Answers are asserted field by field; `any` keeps those assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  /** The raw bytes (PDFs). */
  bytes: Buffer;
}

export interface CallOptions {
  /** A bearer token; null sends no Authorization header. */
  token?: string | null;
  body?: unknown;
  /** A raw body string sent as is (malformed JSON tests). */
  raw?: string;
  headers?: Record<string, string>;
  /** Aborts the request (a test's own deadline). */
  signal?: AbortSignal;
}

/** The headers and body text of a call (shared with the app.inject client, test/helpers/inject-client.ts). */
export function requestParts(opts: CallOptions, defaultToken: string): { headers: Record<string, string>; body?: string } {
  const token = opts.token === undefined ? defaultToken : opts.token;
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  return {
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(hasBody ? { body: opts.raw ?? JSON.stringify(opts.body) } : {}),
  };
}

/** An answer as tests read it: JSON parsed when it is JSON. */
export function answer(status: number, headers: Headers, bytes: Buffer): HttpAnswer {
  const type = headers.get('content-type') ?? '';
  const body = type.includes('json') && bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : bytes.toString('utf8');
  return { status, headers, body, bytes };
}

export function apiClient(base: string, defaultToken: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async function call<T = any>(method: string, url: string, opts: CallOptions = {}): Promise<HttpAnswer<T>> {
    const res = await fetch(`${base}${url}`, { method, ...requestParts(opts, defaultToken), ...(opts.signal ? { signal: opts.signal } : {}) });
    return answer(res.status, res.headers, Buffer.from(await res.arrayBuffer()));
  };
}

export type ApiCall = ReturnType<typeof apiClient>;

/** A POST /v1/workspaces body (New York: 4% sales tax, US Letter invoices). */
export function workspaceBody(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `Acme ${id}`,
    billingEmail: `finance+${id}@acme.example`,
    billingAddress: { country: 'US', region: 'NY', city: 'New York', postalCode: '10001', line1: '350 Fifth Avenue' },
    plan: 'free',
    ...overrides,
  };
}

/** A POST .../usage body costing 1 credit. */
export const usageBody = (idempotencyKey: string, memberId = 'member-1') => ({
  idempotencyKey,
  memberId,
  action: 'chat_question',
  feature: 'chat',
});

/** The value of one Prometheus sample (`name{labels} value`), or null when absent. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}
