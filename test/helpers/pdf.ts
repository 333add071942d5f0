// Reading generated PDFs back: text per page (pdfjs-dist, no system tools),
// text as finance's own tools read it (poppler's pdftotext, required), and,
// where poppler's pdftoppm exists, a PNG of page 1 for a person to look at.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { projectRoot } from '../../src/state-dir';

export async function pdfPagesText(bytes: Buffer): Promise<string[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    pages.push(
      content.items
        .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : ''))
        .join('')
        .replace(/[ \t]+/g, ' '),
    );
  }
  await pdf.destroy();
  return pages;
}

export const artifactsDir = path.join(projectRoot, 'test-artifacts');

/** Writes `<name>.pdf` into test-artifacts/ and, when pdftoppm is installed, `<name>.png` of page 1. */
export function writePdfArtifact(name: string, bytes: Buffer): { pdf: string; png: string | null } {
  mkdirSync(artifactsDir, { recursive: true });
  const pdf = path.join(artifactsDir, `${name}.pdf`);
  writeFileSync(pdf, bytes);
  if (spawnSync('sh', ['-c', 'command -v pdftoppm']).status !== 0) {
    console.log(`[pdf] pdftoppm not found (apt-get install poppler-utils); wrote ${pdf} without a PNG`);
    return { pdf, png: null };
  }
  const prefix = path.join(artifactsDir, name);
  execFileSync('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
  return { pdf, png: `${prefix}.png` };
}

/** pdftotext from PDFTOTEXT_PATH or PATH; a test that needs it fails saying how to install it. */
function pdftotextBinary(): string {
  const fromEnv = process.env.PDFTOTEXT_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PDFTOTEXT_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = spawnSync('sh', ['-c', 'command -v pdftotext'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(
    'pdftotext not found: install poppler-utils (`npm run tools` does it as root on Debian; else apt-get install poppler-utils, or brew install poppler) or set PDFTOTEXT_PATH',
  );
}

/** The PDF's text lines as poppler's pdftotext reads them (reading order, blank lines dropped, pages in order). */
export function pdftotextLines(bytes: Buffer): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdftotext-'));
  try {
    const file = path.join(dir, 'invoice.pdf');
    writeFileSync(file, bytes);
    const text = execFileSync(pdftotextBinary(), ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    return text.split('\n').map((l) => l.trim()).filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
