// The one fontkit call we make (fontkit ships no types): parse a font file
// into the object pdfkit accepts in place of a path.
declare module 'fontkit' {
  export interface Font {
    layout(text: string): unknown;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
