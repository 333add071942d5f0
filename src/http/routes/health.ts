import Type from 'typebox';
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
    const Health = (description: string) =>
      Type.Object(
        { status: Type.String({ enum: ['ok', 'degraded'] }), checks: Type.Record(Type.String(), Type.String(), { description: "'ok' or 'error: ...' per dependency" }) },
        { description },
      );
    const schema = {
      tags: ['ops'],
      operationId: 'getHealth',
      summary: 'Postgres and Temporal reachable: 200, else 503',
      security: [],
      response: { 200: Health('Every dependency answers'), 503: Health('A dependency does not answer') },
    };
    app.get('/healthz', { config: { auth: false }, schema }, async (_req, reply) => {
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
