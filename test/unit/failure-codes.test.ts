// The error taxonomy: every failure code has exactly one HTTP answer, and the
// answers are the API's contract (SPEC section 7, README "Statuses").
import { describe, expect, it } from 'vitest';
import { ALL_FAILURE_CODES, CodedError, FailureCodes } from '../../src/domain/failure-codes';
import { BillingRuleError } from '../../src/domain/workspace';
import { HTTP_ANSWERS, httpAnswerOf } from '../../src/http/error-status';
import { FailureCodes as WorkflowFailureCodes } from '../../workflows/definitions';

describe('failure codes and their HTTP answers', () => {
  it('every code of the taxonomy has an HTTP answer with an error status (a code added without one fails here)', () => {
    expect(ALL_FAILURE_CODES.filter((code) => !Object.hasOwn(HTTP_ANSWERS, code))).toEqual([]);
    for (const code of ALL_FAILURE_CODES) {
      const { status } = HTTP_ANSWERS[code];
      expect(Number.isInteger(status) && status >= 400 && status <= 599, `${code} -> ${status}`).toBe(true);
    }
  });

  it('the map answers no code the taxonomy does not have', () => {
    expect(Object.keys(HTTP_ANSWERS).filter((code) => !(ALL_FAILURE_CODES as readonly string[]).includes(code))).toEqual([]);
  });

  it('codes are unique and snake_case', () => {
    expect(new Set(ALL_FAILURE_CODES).size).toBe(ALL_FAILURE_CODES.length);
    for (const code of ALL_FAILURE_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it('the statuses are the API contract', () => {
    const byStatus: Record<number, string[]> = {};
    for (const code of ALL_FAILURE_CODES) (byStatus[HTTP_ANSWERS[code].status] ??= []).push(code);
    for (const codes of Object.values(byStatus)) codes.sort();
    expect(byStatus).toEqual({
      400: ['bad_request', 'bad_url', 'invalid_json', 'invalid_signature', 'malformed_event', 'malformed_request'],
      401: ['unauthorized'],
      402: ['credit_limit_reached', 'payment_failed', 'payment_method_rejected', 'payment_required'],
      403: ['feature_disabled', 'forbidden', 'subscription_cancelled', 'workspace_deleted'],
      404: ['not_found'],
      405: ['method_not_allowed'],
      408: ['request_timeout'],
      409: ['conflict', 'idempotency_conflict', 'invalid_state', 'renewal_pending', 'workspace_id_retired', 'workspace_not_ready'],
      413: ['body_too_large'],
      415: ['unsupported_media_type'],
      422: ['payment_method_required', 'unknown_action', 'validation_failed'],
      431: ['headers_too_large'],
      500: ['internal'],
      503: ['database_unavailable', 'event_in_progress', 'signal_failed', 'still_processing'],
    });
  });

  it('the workflow refuses with the same codes (one vocabulary)', () => {
    expect(WorkflowFailureCodes).toBe(FailureCodes);
  });
});

describe('httpAnswerOf', () => {
  it('renders code, message and details in the error shape', () => {
    const err = new CodedError('payment_required', 'pay first', { amountDueCents: 2900, invoiceIds: ['inv-1'] });
    expect(httpAnswerOf(err)).toEqual({
      status: 402,
      headers: {},
      body: { error: { code: 'payment_required', message: 'pay first', amountDueCents: 2900, invoiceIds: ['inv-1'] } },
    });
  });

  it('failures a retry fixes carry Retry-After', () => {
    expect(httpAnswerOf(new CodedError('still_processing', 'later'))).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect(httpAnswerOf(new CodedError('database_unavailable', 'later'))).toMatchObject({ status: 503, headers: { 'retry-after': '2' } });
  });

  it("a purged workspace's id is a 409 that clients know as workspace_deleted; usage of a deleted workspace is a 403", () => {
    expect(httpAnswerOf(new CodedError('workspace_id_retired', 'taken'))).toMatchObject({ status: 409, body: { error: { code: 'workspace_deleted' } } });
    expect(httpAnswerOf(new CodedError('workspace_deleted', 'gone'))).toMatchObject({ status: 403, body: { error: { code: 'workspace_deleted' } } });
  });

  it('a business-rule refusal is a coded failure answered by its code', () => {
    expect(httpAnswerOf(new BillingRuleError('payment_method_required', 'send a card'))).toMatchObject({
      status: 422,
      body: { error: { code: 'payment_method_required', message: 'send a card' } },
    });
  });
});
