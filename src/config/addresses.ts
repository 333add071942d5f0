// Where the parts of `npm start` listen and where a client on this machine
// reaches them: one reading of the environment for src/main.ts and the ops
// CLI, so `PORT=4000 TEMPORAL_UI_PORT=18233 npm run cli -- show x` talks to
// the `npm start` that was given the same variables.
import os from 'node:os';
import { stateDir } from '../state-dir';

type Env = Record<string, string | undefined>;

/** A port variable: an integer from 0 to 65535, else start-up stops with its name. */
export function portFromEnv(name: string, fallback: number, env: Env = process.env): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`${name} must be a port number, got '${v}'`);
  return n;
}

const set = (env: Env, name: string) => (env[name] ? env[name] : undefined);

/** A URL variable without its trailing slash, so paths append to it. */
function urlFromEnv(env: Env, name: string): string | undefined {
  const value = set(env, name);
  if (value === undefined) return undefined;
  try {
    new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL such as http://127.0.0.1:3000, got '${value}'`);
  }
  return value.replace(/\/+$/, '');
}

/** The host a client dials for a server bound to `host` (every interface -> loopback). */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '']);

/**
 * The host another machine uses to reach a server bound to `host`: that
 * address or name itself, or this machine's name when it listens on every
 * interface (loopback would only ever reach the machine that follows the link).
 */
export function publicHost(host: string, machineName: string = os.hostname()): string {
  return EVERY_INTERFACE.has(host) ? machineName : dialHost(host);
}

export interface Addresses {
  stateDir: string;
  /** Interface the API binds (HOST); loopback unless asked, as the banner says. */
  host: string;
  port: number;
  /** The API as a client reaches it: BILLING_API_URL, else this machine's bind address. */
  apiUrl: string;
  /** The API on this machine, from HOST and PORT (what the start banner prints). */
  localApiUrl: string;
  /**
   * The API as another machine reaches it, the default of PUBLIC_BASE_URL
   * (invoice events' pdfUrl): HOST and PORT, this machine's name for HOST
   * 0.0.0.0 or ::.
   */
  publicApiUrl: string;
  temporal: {
    /** TEMPORAL_ADDRESS: an external Temporal instead of the embedded dev server. */
    external: string | undefined;
    /** The frontend a client dials: the external one, else the dev server on TEMPORAL_DEV_PORT. */
    address: string;
    namespace: string;
    devPort: number;
    uiPort: number;
    /** TEMPORAL_UI_URL, else the dev server's UI (undefined for an external Temporal without it). */
    uiUrl: string | undefined;
  };
}

export function resolveAddresses(env: Env = process.env, machineName: string = os.hostname()): Addresses {
  const host = set(env, 'HOST') ?? '127.0.0.1';
  const port = portFromEnv('PORT', 3000, env);
  const devPort = portFromEnv('TEMPORAL_DEV_PORT', 7233, env);
  const uiPort = portFromEnv('TEMPORAL_UI_PORT', 8233, env);
  const external = set(env, 'TEMPORAL_ADDRESS');
  const localApiUrl = `http://${dialHost(host)}:${port}`;
  return {
    stateDir: stateDir(),
    host,
    port,
    apiUrl: urlFromEnv(env, 'BILLING_API_URL') ?? localApiUrl,
    localApiUrl,
    publicApiUrl: `http://${publicHost(host, machineName)}:${port}`,
    temporal: {
      external,
      address: external ?? `127.0.0.1:${devPort}`,
      namespace: set(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      devPort,
      uiPort,
      uiUrl: urlFromEnv(env, 'TEMPORAL_UI_URL') ?? (external ? undefined : `http://127.0.0.1:${uiPort}`),
    },
  };
}
