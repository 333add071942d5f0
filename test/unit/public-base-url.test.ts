import { describe, expect, it } from 'vitest';
import { publicBaseUrl } from '../../src/config/env';

describe('PUBLIC_BASE_URL', () => {
  it("defaults to the API's own address", () => {
    expect(publicBaseUrl(undefined, 'http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
  });

  it('is an absolute http(s) base without a trailing slash', () => {
    expect(publicBaseUrl('https://billing.example.com/', 'http://127.0.0.1:3000')).toBe('https://billing.example.com');
    expect(publicBaseUrl('https://example.com/billing/', 'http://127.0.0.1:3000')).toBe('https://example.com/billing');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => publicBaseUrl('billing.example.com', 'http://127.0.0.1:3000')).toThrow(/PUBLIC_BASE_URL must be an absolute http\(s\) URL/);
    expect(() => publicBaseUrl('ftp://example.com', 'http://127.0.0.1:3000')).toThrow(/PUBLIC_BASE_URL must use http or https/);
    expect(() => publicBaseUrl('https://example.com/?a=1', 'http://127.0.0.1:3000')).toThrow(/PUBLIC_BASE_URL must be a plain base URL/);
  });
});
