// Feature (module) names: one vocabulary for usage requests and feature
// switches. Names are case-insensitive: `Chat`, `CHAT` and `chat` are one
// feature, kept and compared in lower case, so a switch stops every spelling.

/** What a client may send: a letter or digit, then letters, digits, `_ . : -`; at most 64 characters. */
export const FEATURE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** The one spelling a feature is stored, switched and compared in. */
export function normalizeFeature(feature: string): string {
  return feature.toLowerCase();
}

export function isFeatureName(feature: unknown): feature is string {
  return typeof feature === 'string' && FEATURE_PATTERN.test(feature);
}
