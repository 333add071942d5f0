import type { Pool } from '../../db/pool';
import type { App } from '../app';

export interface HealthDeps {
  pool: Pool;
  /** Resolves when Temporal answers; absent when the process runs without it. */
  temporalHealthy?: () => Promise<void>;
}

/** GET /healthz: 200 when Postgres (and Temporal, when configured) answer, else 503. */
export function healthRoutes(deps: HealthDeps) {
  return (app: App) => {
    app.get('/healthz', { config: { auth: false }, schema: { tags: ['ops'], summary: 'Postgres and Temporal reachable: 200, else 503', security: [] } }, async (_req, reply) => {
      const checks: Record<string, string> = {};
      const check = async (name: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
          checks[name] = 'ok';
        } catch (err) {
          checks[name] = `error: ${err instanceof Error ? err.message : String(err)}`;
        }
      };
      await check('postgres', () => deps.pool.query('SELECT 1'));
      if (deps.temporalHealthy) await check('temporal', deps.temporalHealthy);
      const ok = Object.values(checks).every((v) => v === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
    });
  };
}
