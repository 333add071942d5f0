// The API client of test/helpers/http.ts over Fastify's app.inject: the same
// requests and answers, without a listening server.
import type { App } from '../../src/http/app';
import { answer, requestParts, type ApiCall, type CallOptions, type HttpAnswer } from './http';

export function injectClient(app: App, defaultToken: string): ApiCall {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async function call<T = any>(method: string, url: string, opts: CallOptions = {}): Promise<HttpAnswer<T>> {
    const { headers, body } = requestParts(opts, defaultToken);
    const res = await app.inject({ method: method as 'GET', url, headers, ...(body !== undefined ? { payload: body } : {}) });
    const answered = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answered.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    return answer(res.statusCode, answered, res.rawPayload);
  };
}
