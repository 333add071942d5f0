// `npm run bench:pdf`: invoice PDF rendering throughput on one core.
// src/invoices/pdf.ts renders BENCH_PDF_COUNT invoices one after the other in
// one process, cycling through a realistic mix (per 10: 6 renewals with
// overage and US sales tax, 2 four-line upgrade invoices with VAT on A4, 1
// credit purchase, 1 invoice of 40 lines over two pages). Baseline in the same
// run: pdfkit rendering a trivial one-page document with one line of text
// (built-in Helvetica), the same number of times; for reference also that
// line in the embedded DejaVu Sans the invoices use. Prints invoices/second,
// ms per invoice p50/p99, max RSS (process.resourceUsage().maxRSS) and the
// peak heap sampled every 5 ms and after every document.
//
// Each scenario runs in a child process of its own (so max RSS is its own),
// pinned with `taskset -c BENCH_PDF_CPU` when taskset is available; the
// header says when it is not. Every PDF is checked (header, trailer, page
// count); the exit code is 1 when one is wrong.
//
// Not a test. Settings: BENCH_PDF_COUNT (500), BENCH_PDF_WARMUP (20, rendered
// first and not measured), BENCH_PDF_CPU (0), BENCH_PDF_PIN (1; 0 = do not pin).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { loadPricing } from '../src/config/pricing';
import { computeInvoice, type InvoiceDocument, type InvoiceLine, type IssueInvoiceInput } from '../src/domain/invoice';
import type { BillingAddress } from '../src/domain/tax';
import { taxCents } from '../src/domain/tax';
import { renderInvoicePdf } from '../src/invoices/pdf';
import { fmt, machineFacts, table } from './bench/machine';
import { percentile } from './bench/stats';

const COUNT = Number(process.env.BENCH_PDF_COUNT ?? 500);
const WARMUP = Number(process.env.BENCH_PDF_WARMUP ?? 20);
const CPU = process.env.BENCH_PDF_CPU ?? '0';
const PIN = process.env.BENCH_PDF_PIN !== '0';

// ---- the documents ----------------------------------------------------------

const pricing = loadPricing();
const DAY = 86_400_000;
const termStart = Date.UTC(2025, 3, 1, 9, 30);
const termEnd = Date.UTC(2025, 4, 1, 9, 30);
const previousStart = Date.UTC(2025, 2, 1, 9, 30);
const seller = { name: 'Loupe Factory, Inc.', address: ['1 Market Street, Suite 300', 'San Francisco, CA 94105', 'United States', 'Tax ID US 12-3456789'] };
const usAddress: BillingAddress = { country: 'US', region: 'CA', city: 'San Francisco', postalCode: '94105', line1: '500 Howard St, Floor 3' };
const deAddress: BillingAddress = { country: 'DE', city: 'Berlin', postalCode: '10115', line1: 'Invalidenstraße 117' };
const gbAddress: BillingAddress = { country: 'GB', city: 'London', postalCode: 'EC1A 1BB', line1: '1 St Martin’s Le Grand' };

type Shape = 'renewal' | 'upgrade' | 'purchase' | 'two-page';
/** Per 10 invoices. */
const MIX: Shape[] = ['renewal', 'upgrade', 'renewal', 'renewal', 'purchase', 'renewal', 'upgrade', 'renewal', 'renewal', 'two-page'];

function document(i: number, shape: Shape): InvoiceDocument {
  const base = { key: `bench:${i}`, workspaceId: `ws-${i % 97}`, periodStart: termStart, periodEnd: termEnd, issuedAt: termStart + (i % 20) * 60_000 };
  const overage = { credits: 17 + (i % 400), periodStart: previousStart, periodEnd: termStart };
  let input: IssueInvoiceInput;
  let address = usAddress;
  switch (shape) {
    case 'renewal':
      input = { ...base, kind: 'renewal', base: { plan: 'pro', planName: 'Pro', priceCents: 2900 }, overage };
      break;
    case 'upgrade':
      address = deAddress;
      input = {
        ...base,
        kind: 'renewal',
        base: { plan: 'growth', planName: 'Growth', priceCents: 24_900 },
        upgrade: { fromPlan: 'pro', toPlan: 'growth', fromPriceCents: 2900, toPriceCents: 24_900, termStart, termEnd, at: termStart + 14 * DAY },
        purchase: { credits: 5000 },
        overage,
      };
      break;
    case 'purchase':
    case 'two-page':
      address = gbAddress;
      input = { ...base, kind: 'credit_purchase', purchase: { credits: 100 + (i % 9900) } };
      break;
  }
  const amounts = computeInvoice(input, pricing, address);
  let lines: InvoiceLine[] = amounts.lines;
  let { subtotalCents, tax } = amounts;
  if (shape === 'two-page') {
    lines = Array.from({ length: 40 }, (_, n) => ({ ...amounts.lines[0]!, description: `Purchased credits, batch ${n + 1}` }));
    subtotalCents = lines.reduce((s, l) => s + l.amountCents, 0);
    tax = { ...tax, amountCents: taxCents(subtotalCents, tax.rateBps) };
  }
  const paid = i % 7 !== 0;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    number: `INV-2025-${String(i + 1).padStart(6, '0')}`,
    kind: input.kind,
    status: paid ? 'paid' : 'open',
    workspaceId: base.workspaceId,
    currency: 'usd',
    periodStart: termStart,
    periodEnd: termEnd,
    issuedAt: base.issuedAt,
    paidAt: paid ? base.issuedAt + 5_000 : null,
    paymentReference: paid ? `pi_3Q${i.toString(36).padStart(10, '0')}` : null,
    paymentFailure: null,
    statusNote: null,
    customer: { name: `Acme Analytics ${i % 97}, Inc.`, billingEmail: `ap+${i % 97}@acme.example`, billingAddress: address },
    seller,
    plan: amounts.plan,
    lines,
    subtotalCents,
    tax,
    carriedForwardCents: 0,
    totalCents: subtotalCents + tax.amountCents,
  };
}

/** The baseline: one page, one line of text, pdfkit's defaults otherwise. */
function trivialPdf(i: number, font?: string): Promise<Buffer> {
  const doc = new PDFDocument(font ? { font } : {});
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.text(`Invoice INV-2025-${String(i + 1).padStart(6, '0')}: nothing else on this page.`);
  doc.end();
  return done;
}
const require = createRequire(import.meta.url);
const dejavu = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

const SCENARIOS = {
  invoices: { label: 'invoice PDFs (mix)', render: (i: number) => renderInvoicePdf(document(i, MIX[i % MIX.length]!)), pages: (i: number) => (MIX[i % MIX.length] === 'two-page' ? 2 : 1) },
  trivial: { label: 'baseline: 1 line, Helvetica', render: (i: number) => trivialPdf(i), pages: () => 1 },
  'trivial-dejavu': { label: 'reference: 1 line, DejaVu embedded', render: (i: number) => trivialPdf(i, dejavu), pages: () => 1 },
} as const;
type ScenarioName = keyof typeof SCENARIOS;

// ---- one scenario (child process) -----------------------------------------

interface ScenarioResult {
  scenario: ScenarioName;
  count: number;
  seconds: number;
  /** CPU time the process used while rendering (user + system): the figure a loaded machine distorts least. */
  cpuSeconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  avgKiB: number;
  maxRssMiB: number;
  peakHeapMiB: number;
  cpus: string;
  bad: string[];
}

const pageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length;

async function runScenario(name: ScenarioName): Promise<ScenarioResult> {
  const sc = SCENARIOS[name];
  let peakHeap = process.memoryUsage().heapUsed;
  const sample = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  for (let i = 0; i < WARMUP; i++) await sc.render(COUNT + i);
  const sampler = setInterval(sample, 5);
  const ms: number[] = [];
  const bad: string[] = [];
  let bytes = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    const pdf = await sc.render(i);
    ms.push(performance.now() - t0);
    sample();
    bytes += pdf.length;
    const pages = pageCount(pdf);
    const ok = pdf.subarray(0, 5).toString() === '%PDF-' && pdf.subarray(-6).toString().includes('%%EOF') && pages === sc.pages(i);
    if (!ok && bad.length < 5) bad.push(`${name} #${i}: ${pdf.length} bytes, ${pages} pages (expected ${sc.pages(i)})`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  ms.sort((a, b) => a - b);
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    scenario: name,
    count: COUNT,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    maxMs: ms.at(-1) ?? Number.NaN,
    avgKiB: bytes / COUNT / 1024,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: peakHeap / 2 ** 20,
    cpus: /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?',
    bad,
  };
}

// ---- the run (parent) ---------------------------------------------------------

const self = fileURLToPath(import.meta.url);

/** The installed version of a package whose exports hide its package.json. */
function packageVersion(name: string): string {
  for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? '?';
    } catch {
      /* no package.json here: go up */
    }
  }
  return '?';
}

function tasksetWorks(): boolean {
  return PIN && spawnSync('taskset', ['-c', CPU, 'true']).status === 0;
}

function child(name: ScenarioName, pinned: boolean): Promise<ScenarioResult> {
  const node = [process.execPath, '--import', 'tsx', self, '--scenario', name];
  const [cmd, ...args] = pinned ? ['taskset', '-c', CPU, ...node] : node;
  return new Promise((resolve, reject) => {
    const p = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ScenarioResult);
      else reject(new Error(`scenario ${name} exited with ${code}: ${out}`));
    });
  });
}

async function main() {
  const pinned = tasksetWorks();
  console.log(`bench-pdf: ${COUNT} documents per scenario after ${WARMUP} warm-up renders, sequential, one process per scenario`);
  for (const line of machineFacts()) console.log(`  ${line}`);
  console.log(`  pdfkit ${packageVersion('pdfkit')}; ${pinned ? `pinned to CPU ${CPU} with taskset` : `NOT pinned (${PIN ? 'taskset not available' : 'BENCH_PDF_PIN=0'}): the OS may move the process between cores`}`);

  const results: ScenarioResult[] = [];
  for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
    console.log(`${SCENARIOS[name].label} ...`);
    results.push(await child(name, pinned));
  }

  const [inv, trivial] = results as [ScenarioResult, ScenarioResult, ScenarioResult];
  const meanMs = (r: ScenarioResult) => (1000 * r.seconds) / r.count;
  const rows = results.map((r) => [
    SCENARIOS[r.scenario].label,
    fmt(r.count / r.seconds),
    fmt(r.count / r.cpuSeconds),
    fmt(meanMs(r), 2),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.maxMs, 1),
    fmt(r.avgKiB),
    fmt(r.maxRssMiB),
    fmt(r.peakHeapMiB),
    r.cpus,
  ]);
  const x = (a: number, b: number, digits = 1) => `${fmt(a / b, digits)}x`;
  rows.push([
    '  ratio invoices / baseline',
    '',
    '',
    x(meanMs(inv), meanMs(trivial)),
    x(inv.p50Ms, trivial.p50Ms),
    x(inv.p99Ms, trivial.p99Ms),
    '',
    '',
    x(inv.maxRssMiB, trivial.maxRssMiB, 2),
    x(inv.peakHeapMiB, trivial.peakHeapMiB, 2),
    '',
  ]);
  console.log('');
  console.log(table(['scenario', 'docs/s', 'docs/CPU-s', 'mean ms', 'p50 ms', 'p99 ms', 'max ms', 'avg KiB', 'max RSS MiB', 'peak heap MiB', 'cpus'], rows));
  console.log('(ms per document, rendering only: no database, no file writes; max RSS includes Node and the tsx loader;');
  console.log(' docs/CPU-s = documents per second of CPU the process used, which other load on the core does not shrink)');
  console.log(`\ntarget (issue 15): >= 150 invoices per second on one core: ${fmt(inv.count / inv.seconds)} per wall-clock second pinned, ${fmt(inv.count / inv.cpuSeconds)} per CPU-second (load ${os.loadavg()[0]!.toFixed(2)})`);

  const bad = results.flatMap((r) => r.bad);
  if (bad.length > 0) {
    console.error(`\nBAD PDFS:\n  ${bad.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log(`\nchecked ${results.reduce((a, r) => a + r.count, 0)} PDFs: header, trailer and page count (two pages for the 40-line invoice) as expected`);
  }
}

const at = process.argv.indexOf('--scenario');
if (at >= 0) {
  const name = process.argv[at + 1] as ScenarioName;
  if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}`);
  console.log(JSON.stringify(await runScenario(name)));
} else {
  await main();
}
