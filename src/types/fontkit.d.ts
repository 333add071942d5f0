// The fontkit calls we make (fontkit ships no types): parse a font file into
// the object pdfkit accepts in place of a path, and its layout (shaping),
// which src/invoices/font-cache.ts memoizes.
declare module 'fontkit' {
  /** Where a glyph goes: pdfkit scales every enumerable field of it in place. */
  export interface GlyphPosition {
    xAdvance: number;
    yAdvance: number;
    xOffset: number;
    yOffset: number;
  }
  export interface GlyphRun {
    glyphs: unknown[];
    positions: GlyphPosition[];
    readonly advanceWidth: number;
  }
  /** The glyph subset a document embeds (pdfkit includes glyphs as it draws, then encodes). */
  export interface Subset {
    /** Original glyph ids in the order included. */
    glyphs: number[];
    encode(): Uint8Array;
  }
  export interface Glyph {
    /** The glyf entry, decoded again on every call. */
    _decode(): unknown;
  }
  export interface Font {
    layout(text: string, features?: unknown, ...rest: unknown[]): GlyphRun;
    getGlyph(id: number, codePoints?: number[]): Glyph | null;
    createSubset(): Subset;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
