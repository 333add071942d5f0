// The invoice PDF (SPEC section 5), drawn with pdfkit in DejaVu Sans shipped
// by an npm package and embedded in the file, so it renders the same on every
// machine. Layout adapts to the page width: US Letter and A4 both work.
import PDFDocument from 'pdfkit';
import { formatDate, formatPeriod } from '../domain/dates';
import type { InvoiceDocument, InvoiceStatus } from '../domain/invoice';
import { formatRateBps, formatUsd, groupThousands } from '../domain/money';
import type { BillingAddress } from '../domain/tax';
import { taxIdLabel } from '../domain/tax-id';
import { dejaVu } from './font-cache';
import { addressLines } from './postal-address';

export type PageSize = 'LETTER' | 'A4';

/** Letter where it is the paper people print on, A4 elsewhere. */
export const pageSizeFor = (country: string): PageSize =>
  ['US', 'CA', 'MX', 'PH', 'CL', 'CO'].includes(country.trim().toUpperCase()) ? 'LETTER' : 'A4';

export const STATUS_LABEL: Record<InvoiceStatus, string> = {
  open: 'DUE',
  paid: 'PAID',
  payment_failed: 'PAYMENT FAILED',
  void: 'VOID',
};

const STATUS_COLOR: Record<InvoiceStatus, string> = {
  open: '#b45309',
  paid: '#15803d',
  payment_failed: '#b91c1c',
  void: '#6b7280',
};

const INK = '#111827';
const MUTED = '#6b7280';
const RULE = '#d1d5db';
const SHADE = '#f3f4f6';
const MARGIN = 50;

/** "VAT ID: DE136695976" under the customer's address; nothing for a customer without one. */
function customerTaxIdLine(a: BillingAddress): string[] {
  return a.taxId ? [`${taxIdLabel(a.taxId, a.country.trim().toUpperCase())}: ${a.taxId}`] : [];
}

function sellerTaxIdLine(taxId: string | undefined): string[] {
  return taxId ? [`${taxIdLabel(taxId)}: ${taxId}`] : [];
}

/** Credits never expire: a purchase has no billing period to print, only the day it was made. */
const hasBillingPeriod = (inv: InvoiceDocument) => inv.kind !== 'credit_purchase';

/** "Tax: CA sales tax 7.25%"; the rate is always printed, even when the configured name lacks it. */
function taxLabel(tax: InvoiceDocument['tax']): string {
  const rate = formatRateBps(tax.rateBps);
  if (tax.rateBps === 0) return `Tax (${rate})`;
  return tax.name.includes(rate) ? `Tax: ${tax.name}` : `Tax: ${tax.name} (${rate})`;
}

function statusSentence(inv: InvoiceDocument): string {
  switch (inv.status) {
    case 'paid':
      if (inv.paymentReference) return `Paid in full on ${formatDate(inv.paidAt ?? inv.issuedAt)} by card (payment reference ${inv.paymentReference}).`;
      return inv.statusNote ?? 'Nothing is due on this invoice.';
    case 'open':
      // A below-minimum total says where it is carried forward to.
      return inv.statusNote ?? `Amount due: ${formatUsd(inv.totalCents)}. It will be charged to the card on file; nothing to do.`;
    case 'payment_failed':
      return `Payment failed${inv.paymentFailure?.reason ? `: ${inv.paymentFailure.reason}` : '.'} Amount due: ${formatUsd(inv.totalCents)}. Please update the payment method; the charge will be retried.`;
    case 'void':
      // The number stays in the series: say why the sale did not happen.
      return `This invoice is void; nothing is due.${inv.statusNote ? ` Reason: ${inv.statusNote}` : ''}`;
  }
}

/** Renders the invoice as it stands (status, payment reference) into PDF bytes. */
export function renderInvoicePdf(inv: InvoiceDocument, size: PageSize = pageSizeFor(inv.customer.billingAddress.country)): Promise<Buffer> {
  const doc = new PDFDocument({
    size,
    margin: MARGIN,
    // No default font: pdfkit would open Helvetica, or given ours, open it twice and compare
    // the two copies' name tables through JSON (5% of a render in the profile).
    font: null as unknown as string,
    bufferPages: true,
    lang: 'en-US',
    displayTitle: true,
    info: {
      Title: `Invoice ${inv.number}`,
      Author: inv.seller.name,
      Subject: `Invoice ${inv.number} for ${inv.customer.name}`,
      CreationDate: new Date(inv.issuedAt), // same bytes on every render of the same state
    },
  });
  // pdfkit takes a parsed fontkit font where its types say path.
  doc.registerFont('regular', dejaVu().regular as unknown as string);
  doc.registerFont('bold', dejaVu().bold as unknown as string);
  doc.font('regular');
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  const right = left + width;
  const bottom = doc.page.height - MARGIN - 30; // room for the footer

  // ---- header: seller (left), title and status (right) ----
  doc.font('bold').fontSize(16).fillColor(INK).text(inv.seller.name, left, MARGIN, { width: width * 0.6 });
  doc.font('regular').fontSize(9).fillColor(MUTED);
  for (const line of [...inv.seller.address, ...sellerTaxIdLine(inv.seller.taxId)]) doc.text(line, { width: width * 0.6 });
  const headerBottom = doc.y;

  doc.font('bold').fontSize(24).fillColor(INK).text('INVOICE', left, MARGIN - 4, { width, align: 'right' });
  const label = STATUS_LABEL[inv.status];
  doc.font('bold').fontSize(10);
  const badgeW = doc.widthOfString(label) + 18;
  const badgeY = MARGIN + 30;
  doc.roundedRect(right - badgeW, badgeY, badgeW, 20, 4).fill(STATUS_COLOR[inv.status]);
  doc.fillColor('#ffffff').text(label, right - badgeW, badgeY + 5, { width: badgeW, align: 'center' });

  let y = Math.max(headerBottom, badgeY + 20) + 18;
  doc.moveTo(left, y).lineTo(right, y).lineWidth(1).strokeColor(RULE).stroke();
  y += 16;

  // ---- customer (left) and invoice facts (right) ----
  const colW = width / 2 - 10;
  doc.font('bold').fontSize(8).fillColor(MUTED).text('BILL TO', left, y, { width: colW });
  doc.font('bold').fontSize(11).fillColor(INK).text(inv.customer.name, { width: colW });
  doc.font('regular').fontSize(9.5).fillColor(INK).text(inv.customer.billingEmail, { width: colW });
  for (const line of addressLines(inv.customer.billingAddress)) doc.text(line, { width: colW });
  for (const line of customerTaxIdLine(inv.customer.billingAddress)) doc.text(line, { width: colW });
  const customerBottom = doc.y;

  const facts: Array<[string, string]> = [
    ['Invoice number', inv.number],
    ['Issue date', formatDate(inv.issuedAt)],
  ];
  // A purchase is not "on" a plan and has no period: the line says what was bought.
  if (hasBillingPeriod(inv)) facts.push(['Billing period', formatPeriod(inv.periodStart, inv.periodEnd)]);
  if (inv.plan && inv.kind !== 'credit_purchase') facts.push(['Plan', `${inv.plan.name}, ${formatUsd(inv.plan.priceCents)} / month`]);
  facts.push(['Status', label]);
  if (inv.paidAt !== null) facts.push(['Paid on', formatDate(inv.paidAt)]);
  facts.push(['Payment reference', inv.paymentReference ?? '—']);
  const factsX = left + width / 2 + 10;
  const factsW = right - factsX;
  const labelW = 95;
  let fy = y;
  for (const [k, v] of facts) {
    doc.font('regular').fontSize(9).fillColor(MUTED).text(k, factsX, fy, { width: labelW });
    doc.font(k === 'Invoice number' ? 'bold' : 'regular').fontSize(9).fillColor(INK);
    const valueW = factsW - labelW;
    const oneWord = !/\s/.test(v);
    if (oneWord && doc.widthOfString(v) > valueW) {
      // An id (a payment reference) is never broken: it gets its own line under its label.
      fy += 12;
      for (let size = 8.5; doc.widthOfString(v) > factsW && size >= 6; size -= 0.5) doc.fontSize(size);
      doc.text(v, factsX, fy, { width: factsW, align: 'right', lineBreak: false });
      fy += 14;
      continue;
    }
    doc.text(v, factsX + labelW, fy, { width: valueW, align: 'right' });
    fy += Math.max(doc.heightOfString(v, { width: valueW }), 11) + 3;
  }
  y = Math.max(customerBottom, fy) + 22;

  // ---- line table ----
  const cols = {
    desc: { x: left + 6, w: width * 0.38 - 6 },
    period: { x: left + width * 0.4, w: width * 0.24 },
    qty: { x: left + width * 0.64, w: width * 0.07 },
    unit: { x: left + width * 0.72, w: width * 0.13 },
    amount: { x: left + width * 0.86, w: width * 0.14 - 6 },
  };
  const tableHeader = () => {
    doc.rect(left, y, width, 20).fill(SHADE);
    doc.font('bold').fontSize(8).fillColor(MUTED);
    doc.text('DESCRIPTION', cols.desc.x, y + 6, { width: cols.desc.w });
    doc.text('PERIOD', cols.period.x, y + 6, { width: cols.period.w });
    doc.text('QTY', cols.qty.x, y + 6, { width: cols.qty.w, align: 'right' });
    doc.text('UNIT PRICE', cols.unit.x, y + 6, { width: cols.unit.w, align: 'right' });
    doc.text('AMOUNT', cols.amount.x, y + 6, { width: cols.amount.w, align: 'right' });
    y += 26;
  };
  tableHeader();
  if (inv.lines.length === 0) {
    doc.font('regular').fontSize(9).fillColor(MUTED).text('No charges in this period.', cols.desc.x, y, { width: width - 12 });
    y += 20;
  }
  for (const line of inv.lines) {
    doc.font('regular').fontSize(9);
    const period = line.kind === 'credit_purchase' ? 'Never expire' : formatPeriod(line.periodStart, line.periodEnd);
    const h = Math.max(doc.heightOfString(line.description, { width: cols.desc.w }), doc.heightOfString(period, { width: cols.period.w }));
    if (y + h + 12 > bottom) {
      doc.addPage();
      y = MARGIN;
      tableHeader();
    }
    doc.fillColor(INK).text(line.description, cols.desc.x, y, { width: cols.desc.w });
    doc.fillColor(MUTED).text(period, cols.period.x, y, { width: cols.period.w });
    doc.fillColor(INK);
    doc.text(groupThousands(line.quantity), cols.qty.x, y, { width: cols.qty.w, align: 'right' });
    doc.text(formatUsd(line.unitAmountCents), cols.unit.x, y, { width: cols.unit.w, align: 'right' });
    doc.text(formatUsd(line.amountCents), cols.amount.x, y, { width: cols.amount.w, align: 'right' });
    y += h + 8;
    doc.moveTo(left, y - 4).lineTo(right, y - 4).lineWidth(0.5).strokeColor(RULE).stroke();
  }

  if (inv.lines.some((l) => l.kind !== 'credit_purchase')) {
    doc.font('regular').fontSize(7.5).fillColor(MUTED);
    doc.text('A billing period runs from its start date up to, not including, its end date (UTC).', left, y, { width });
  }
  y += 14;

  // ---- totals ----
  const paid = inv.status === 'paid' ? inv.totalCents : 0;
  const totals: Array<[string, string, boolean]> = [
    ['Subtotal', formatUsd(inv.subtotalCents), false],
    [taxLabel(inv.tax), formatUsd(inv.tax.amountCents), false],
    ...(inv.carriedForwardCents > 0 ? [['Carried forward (tax included)', formatUsd(inv.carriedForwardCents), false] as [string, string, boolean]] : []),
    ['Total (USD)', formatUsd(inv.totalCents), true],
    ['Amount paid', formatUsd(paid), false],
    ['Amount due', formatUsd(inv.status === 'void' ? 0 : inv.totalCents - paid), true],
  ];
  const totalRow = totals.length - 3;
  if (y + totals.length * 18 + 60 > bottom) {
    doc.addPage();
    y = MARGIN;
  }
  y += 6;
  const totalsLabelX = left + width * 0.45;
  const totalsLabelW = width * 0.35;
  for (const [i, [k, v, strong]] of totals.entries()) {
    if (i === totalRow || i === totalRow + 1) {
      const strongRule = i === totalRow;
      doc.moveTo(totalsLabelX, y - 3).lineTo(right, y - 3).lineWidth(strongRule ? 1 : 0.5).strokeColor(strongRule ? INK : RULE).stroke();
      y += 3;
    }
    doc.font(strong ? 'bold' : 'regular').fontSize(strong ? 10.5 : 9.5).fillColor(INK);
    doc.text(k, totalsLabelX, y, { width: totalsLabelW });
    doc.text(v, totalsLabelX + totalsLabelW, y, { width: right - totalsLabelX - totalsLabelW - 6, align: 'right' });
    y += strong ? 18 : 16;
  }

  // ---- status note ----
  y += 14;
  doc.rect(left, y, 3, 28).fill(STATUS_COLOR[inv.status]);
  doc.font('regular').fontSize(9).fillColor(INK).text(statusSentence(inv), left + 12, y + 2, { width: width - 12 });

  // ---- footer on every page ----
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const fy2 = doc.page.height - MARGIN - 12;
    doc.moveTo(left, fy2 - 8).lineTo(right, fy2 - 8).lineWidth(0.5).strokeColor(RULE).stroke();
    doc.font('regular').fontSize(7.5).fillColor(MUTED);
    doc.text(`${inv.seller.name} · Invoice ${inv.number} · All amounts in US dollars`, left, fy2, { width: width - 80, lineBreak: false });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, right - 80, fy2, { width: 80, align: 'right', lineBreak: false });
  }
  doc.end();
  return done;
}
