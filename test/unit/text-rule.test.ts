// The one text rule for every string a request carries (issue 11, defects 2 and 9).
import { describe, expect, it } from 'vitest';
import { isFeatureName, normalizeFeature } from '../../src/domain/features';
import { findBadText, textProblem } from '../../src/domain/text';

describe('textProblem', () => {
  it.each([
    ['\ud800', /lone UTF-16 surrogate \(U\+D800\)/],
    ['a\udfffb', /lone UTF-16 surrogate \(U\+DFFF\)/],
    ['\udc00\ud800', /lone UTF-16 surrogate/],
    ['a\u0000', /control character \(U\+0000\)/],
    ['\u007f', /control character \(U\+007F\)/],
    ['x\u0085', /control character \(U\+0085\)/],
    ['evil\u202Etxt', /bidirectional control character \(U\+202E\)/],
    ['\u2066x', /bidirectional control/],
    ['x\u200F', /bidirectional control/],
  ])('refuses %j', (s, why) => {
    expect(textProblem(s)).toMatch(why);
  });

  it.each(['plain', 'Café', '🙂', '👩‍💻', 'שלום', 'عربي', 'e\u0301', '\uFEFFx', 'a b'])('accepts %j', (s) => {
    expect(textProblem(s)).toBeNull();
  });
});

describe('findBadText', () => {
  it('names the path of the first bad string, field names included', () => {
    expect(findBadText({ a: 'ok', billingAddress: { city: 'x\ud800' } })).toMatchObject({ path: '/billingAddress/city' });
    expect(findBadText({ ['k\u0000']: 1 })).toMatchObject({ path: '/k\u0000', problem: expect.stringMatching(/field name/) });
    expect(findBadText(['ok', ['\u202E']])).toMatchObject({ path: '/1/0' });
    expect(findBadText({ a: 'x'.repeat(10_001) })).toMatchObject({ path: '/a', problem: expect.stringMatching(/longer than/) });
    expect(findBadText({ a: 'ok', n: 1, b: null, c: [true] })).toBeNull();
  });
});

describe('feature vocabulary', () => {
  it('one pattern for usage and switches; case-insensitive, kept in lower case', () => {
    for (const f of ['chat', 'Chat', 'CHAT', 'slack:bot', 'ai.assist-v2', '3d']) expect(isFeatureName(f), f).toBe(true);
    for (const f of ['', 'chat bot', ':x', 'x'.repeat(65), 'ch\u00e4t']) expect(isFeatureName(f), f).toBe(false);
    expect(['Chat', 'CHAT', 'chat'].map(normalizeFeature)).toEqual(['chat', 'chat', 'chat']);
  });
});
