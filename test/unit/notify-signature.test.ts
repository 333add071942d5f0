import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/notify/backoff';
import { signPayload, verifySignature } from '../../src/notify/signature';

describe('webhook signature', () => {
  const body = '{"id":"e1","type":"credits.low"}';
  const t = 1_760_000_000;

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const mac = createHmac('sha256', 'whsec').update(`${t}.${body}`).digest('hex');
    expect(signPayload('whsec', body, t)).toBe(`t=${t},v1=${mac}`);
  });

  it.each([
    { name: 'the signed body', secret: 'whsec', received: body, now: t, ok: true },
    { name: 'a tampered body', secret: 'whsec', received: body.replace('low', 'exhausted'), now: t, ok: false },
    { name: 'another secret', secret: 'other', received: body, now: t, ok: false },
    { name: 'a stale timestamp (over 5 minutes)', secret: 'whsec', received: body, now: t + 301, ok: false },
  ])('verifying $name -> $ok', ({ secret, received, now, ok }) => {
    expect(verifySignature(secret, signPayload('whsec', body, t), received, { nowSec: now })).toBe(ok);
  });

  it.each([undefined, '', 't=abc,v1=00', `t=${t}`, `t=${t},v1=zz`])('rejects malformed header %s', (header) => {
    expect(verifySignature('whsec', header, body, { nowSec: t })).toBe(false);
  });
});

describe('retryDelayMs', () => {
  it.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [10, 2_560_000],
    [11, 3_600_000], // capped at an hour
    [500, 3_600_000],
  ])('after %i failed attempts waits %i ms', (attempts, ms) => {
    expect(retryDelayMs(attempts)).toBe(ms);
  });
});
