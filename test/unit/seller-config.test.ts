import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/env';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the seller block from the environment', () => {
  it('carries SELLER_TAX_ID when set, trimmed', () => {
    vi.stubEnv('SELLER_TAX_ID', ' NL004495445B01 ');
    expect(loadConfig().seller.taxId).toBe('NL004495445B01');
  });

  it('has no tax ID when SELLER_TAX_ID is unset or empty', () => {
    vi.stubEnv('SELLER_TAX_ID', '');
    expect(loadConfig().seller).not.toHaveProperty('taxId');
  });

  it('refuses a SELLER_TAX_ID that could not be printed as an ID, naming the variable', () => {
    vi.stubEnv('SELLER_TAX_ID', 'DE 1234\n<script>');
    expect(() => loadConfig()).toThrow(/SELLER_TAX_ID must be 1-40 letters, digits, spaces/);
  });

  it('takes PUBLIC_BASE_URL, or derives it from HOST and PORT', () => {
    vi.stubEnv('PORT', '4100');
    vi.stubEnv('HOST', '');
    vi.stubEnv('PUBLIC_BASE_URL', '');
    expect(loadConfig().publicBaseUrl).toBe('http://127.0.0.1:4100');
    vi.stubEnv('HOST', '10.1.2.3');
    expect(loadConfig().publicBaseUrl).toBe('http://10.1.2.3:4100');
    vi.stubEnv('HOST', '0.0.0.0');
    expect(loadConfig().publicBaseUrl).toBe(`http://${os.hostname()}:4100`);
    vi.stubEnv('PUBLIC_BASE_URL', 'https://billing.example.com/');
    expect(loadConfig().publicBaseUrl).toBe('https://billing.example.com');
  });
});
