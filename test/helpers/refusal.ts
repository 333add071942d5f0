// A refused request, as SPEC section 7 shapes it: the status, and
// {"error": {code, message}} with a message that explains.
import { expect } from 'vitest';
import type { HttpAnswer } from './http';

export function expectRefusal(res: HttpAnswer, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(res.body.error.message.length).toBeGreaterThan(10);
}
