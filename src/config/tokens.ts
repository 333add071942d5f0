import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiTokens } from '../http/auth';

/**
 * API tokens from BILLING_API_TOKEN / BILLING_READ_TOKEN, or generated once
 * and kept (mode 0600) in the state folder so they survive restarts.
 */
export function resolveTokens(stateDir: string, fromEnv: { api?: string; read?: string }): ApiTokens & { generated: boolean } {
  const file = path.join(stateDir, 'tokens.json');
  let stored: Partial<ApiTokens> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<ApiTokens>;
  const tokens = {
    api: fromEnv.api ?? stored.api ?? `bk_full_${randomBytes(24).toString('hex')}`,
    read: fromEnv.read ?? stored.read ?? `bk_read_${randomBytes(24).toString('hex')}`,
  };
  const generated = tokens.api !== (fromEnv.api ?? stored.api) || tokens.read !== (fromEnv.read ?? stored.read);
  if (generated) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ api: tokens.api, read: tokens.read }, null, 2)}\n`, { mode: 0o600 });
  }
  if (tokens.api === tokens.read) throw new Error('BILLING_API_TOKEN and BILLING_READ_TOKEN must differ');
  return { ...tokens, generated };
}
