// The invoice fonts, parsed once per process, with their shaping memoized.
// Given a path, pdfkit would read and parse each 700 KB font file again for
// every document; and fontkit shapes every word of every document again
// (OpenType GSUB/GPOS lookups), though a word shapes the same in the same
// font every time: the profile of bench-pdf put a third of the time there.
// Next came the subset each document embeds (a third again): fontkit
// decodes every included glyph's outline again only to see whether it is
// composite, and encodes the same tables again for the same glyph list.
// Each document still embeds a subset of exactly the glyphs it uses, the
// bytes fontkit would produce.
import { create as parseFont, type Font, type GlyphPosition, type GlyphRun } from 'fontkit';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const fontDir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/** Distinct words kept per font; the memo starts over past this (invoices repeat few words). */
const MAX_RUNS = 20_000;

/** A shaped run handed to pdfkit: fresh positions each time, as pdfkit scales them in place. */
class MemoRun implements GlyphRun {
  constructor(
    readonly glyphs: unknown[],
    readonly positions: GlyphPosition[],
  ) {}

  get advanceWidth(): number {
    let width = 0;
    for (const p of this.positions) width += p.xAdvance;
    return width;
  }
}

/** Memoizes font.layout(text) for plain text (no features, script or direction given). */
export function memoizeLayout(font: Font): Font {
  const shape = font.layout.bind(font);
  const runs = new Map<string, { glyphs: unknown[]; positions: GlyphPosition[] }>();
  font.layout = (text: string, features?: unknown, ...rest: unknown[]): GlyphRun => {
    if (features !== undefined || rest.some((r) => r !== undefined)) return shape(text, features, ...rest);
    let run = runs.get(text);
    if (!run) {
      if (runs.size >= MAX_RUNS) runs.clear();
      const shaped = shape(text);
      run = { glyphs: shaped.glyphs, positions: shaped.positions.map((p) => ({ ...p })) };
      runs.set(text, run);
    }
    return new MemoRun(run.glyphs, run.positions.map((p) => ({ ...p })));
  };
  return font;
}

/** Encoded subsets kept per font, by their glyph list (same list, same bytes). */
const MAX_SUBSETS = 2_000;

/**
 * Memoizes the subset work: a glyph's decoded outline (read-only to the
 * subsetter, for a font without variations) and the encoded subset of a
 * given glyph list.
 */
export function memoizeSubsets(font: Font): Font {
  const getGlyph = font.getGlyph.bind(font);
  const memoized = new WeakSet<object>();
  font.getGlyph = (id: number, codePoints?: number[]) => {
    const glyph = getGlyph(id, codePoints);
    if (glyph && !memoized.has(glyph)) {
      memoized.add(glyph);
      const decode = glyph._decode.bind(glyph);
      let decoded: { value: unknown } | undefined;
      glyph._decode = () => (decoded ??= { value: decode() }).value;
    }
    return glyph;
  };
  const createSubset = font.createSubset.bind(font);
  const encoded = new Map<string, Uint8Array>();
  font.createSubset = () => {
    const subset = createSubset();
    const encode = subset.encode.bind(subset);
    subset.encode = () => {
      const key = subset.glyphs.join(',');
      let bytes = encoded.get(key);
      if (!bytes) {
        if (encoded.size >= MAX_SUBSETS) encoded.clear();
        bytes = encode();
        encoded.set(key, bytes);
      }
      return bytes;
    };
    return subset;
  };
  return font;
}

const loadFont = (file: string): Font => memoizeSubsets(memoizeLayout(parseFont(readFileSync(path.join(fontDir, file)))));
let fonts: { regular: Font; bold: Font } | null = null;

/** DejaVu Sans regular and bold, as pdfkit takes them (a parsed font where its types say path). */
export const dejaVu = () => (fonts ??= { regular: loadFont('DejaVuSans.ttf'), bold: loadFont('DejaVuSans-Bold.ttf') });
