import { create as parseFont, type Font, type GlyphPosition } from 'fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { memoizeLayout, memoizeSubsets } from '../../src/invoices/font-cache';

const file = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const fresh = (): Font => parseFont(readFileSync(file));
const ids = (glyphs: unknown[]) => glyphs.map((g) => (g as { id: number }).id);
const plain = (positions: GlyphPosition[]) => positions.map((p) => ({ ...p }));

describe('font-cache: memoized shaping and subsets give what fontkit gives', () => {
  it('a memoized layout has the glyphs and positions of a fresh shaping, every time', () => {
    const raw = fresh();
    const memo = memoizeLayout(fresh());
    for (const text of ['Invoice', 'ﬁnal office Straße', '1,234.56', 'Invoice']) {
      const expected = raw.layout(text);
      const got = memo.layout(text);
      expect(ids(got.glyphs)).toEqual(ids(expected.glyphs));
      expect(plain(got.positions)).toEqual(plain(expected.positions));
      expect(got.advanceWidth).toBe(expected.advanceWidth);
    }
  });

  it('positions are fresh per call: pdfkit scales them in place, and that must not leak into the next document', () => {
    const memo = memoizeLayout(fresh());
    const first = memo.layout('Total');
    const width = first.advanceWidth;
    for (const p of first.positions) p.xAdvance *= 2;
    expect(memo.layout('Total').advanceWidth).toBe(width);
  });

  it('a memoized subset encodes to the bytes of a fresh one, also when the same glyph list comes again', () => {
    const raw = fresh();
    const memo = memoizeSubsets(fresh());
    const build = (font: Font, text: string) => {
      const subset = font.createSubset() as ReturnType<Font['createSubset']> & { includeGlyph(id: number): number };
      for (const id of ids(font.layout(text).glyphs)) subset.includeGlyph(id);
      return Buffer.from(subset.encode());
    };
    for (const text of ['Invoice INV-2025-000001 — ½ Straße', 'Amount due: $29.00', 'Invoice INV-2025-000001 — ½ Straße']) {
      expect(build(memo, text).equals(build(raw, text))).toBe(true);
    }
  });
});
