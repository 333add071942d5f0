// The customer's billing details over real HTTP (Temporal dev server, Stripe
// sandbox, Postgres): a tax ID checked for the billing country at the edge,
// before anything is charged, stored in its canonical spelling and printed on
// the invoice; invoice events point finance at the PDF by an absolute URL.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { apiClient, workspaceBody, type ApiCall } from '../helpers/http';
import { pdfPagesText } from '../helpers/pdf';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

let stack: Stack;
let call: ApiCall;
let pool: Pool;
const berlin = { country: 'DE', line1: 'Invalidenstraße 117', postalCode: '10115', city: 'Berlin' };

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
  pool = createPool(inject('databaseUrl'), 2);
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

describe('tax IDs at the HTTP edge', () => {
  it.each([
    ['a German VAT ID with wrong check digits', { ...berlin, taxId: 'DE123456789' }, /billingAddress\.taxId 'DE123456789' is not a valid German VAT Number: its check digits do not match/],
    ['another country’s VAT ID', { ...berlin, taxId: 'FR40303265045' }, /billingAddress\.taxId 'FR40303265045' is a VAT ID of FR, but the billing country is DE/],
    ['a US tax ID that is no EIN', { country: 'US', region: 'NY', taxId: '123' }, /not a valid tax ID for US; accepted: U\.S\. Employer Identification Number \(EIN\)/],
    ['a country with no known tax ID format', { country: 'AQ', taxId: '12345' }, /no tax ID format is known for that country; leave taxId out/],
    ['a country code that is not ISO 3166-1', { country: 'ZZ' }, /billingAddress.country must be one of AD, AE, AF/],
  ])('%s: 422 saying what is wrong, nothing charged, no workspace', async (_what, billingAddress, message) => {
    const id = uniqueId('taxid-bad');
    const before = stack.sandbox.paymentIntents().length;
    const res = await call('POST', '/v1/workspaces', { body: workspaceBody(id, { billingAddress, plan: 'pro', paymentMethod: 'pm_card_visa' }) });
    expect([res.status, res.body.error?.code], JSON.stringify(res.body)).toEqual([422, 'validation_failed']);
    expect(res.body.error.message).toMatch(message);
    expect(stack.sandbox.paymentIntents().length).toBe(before);
    expect((await call('GET', `/v1/workspaces/${id}`)).status).toBe(404);
  });

  it('a valid VAT ID is kept in its canonical spelling (the same customer sent again is the same request) and printed on the invoice', async () => {
    const id = uniqueId('taxid-de');
    const body = (taxId: string) => workspaceBody(id, { name: 'Beispiel GmbH', billingAddress: { ...berlin, taxId }, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const created = await call('POST', '/v1/workspaces', { body: body('de 136 695 976') });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call('POST', '/v1/workspaces', { body: body('DE136695976') })).status).toBe(200);

    const { body: invoices } = await call('GET', `/v1/workspaces/${id}/invoices`);
    const [invoice] = invoices.invoices;
    expect(invoice.customer.billingAddress).toEqual({ ...berlin, taxId: 'DE136695976' });
    const pdf = await call('GET', `/v1/invoices/${invoice.id}/pdf`);
    const text = (await pdfPagesText(pdf.bytes)).join('\n');
    for (const line of ['Invalidenstraße 117', '10115 Berlin', 'Germany', 'VAT ID: DE136695976']) expect(text).toContain(line);

    // The finance event's pdfUrl is absolute (PUBLIC_BASE_URL, here the API's own address) and serves the PDF.
    const { rows } = await pool.query<{ url: string }>(
      `SELECT payload->>'pdfUrl' AS url FROM outbox_events WHERE type = 'invoice.finalized' AND payload->>'invoiceId' = $1`,
      [invoice.id],
    );
    expect(rows[0]?.url).toBe(`${stack.api}/v1/invoices/${invoice.id}/pdf`);
    const fetched = await fetch(rows[0]!.url, { headers: { authorization: `Bearer ${stack.tokens.read}` } });
    expect([fetched.status, fetched.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    await fetched.body?.cancel();
  });
});
