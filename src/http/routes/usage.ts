// The usage endpoints: the check-and-debit hot path and the usage reads.
import type { Pool } from '../../db/pool';
import type { PricingConfig } from '../../domain/pricing';
import { checkAndDebit } from '../../ledger/check-and-debit';
import { usageHistory, usageSummary } from '../../ledger/usage-reports';
import { creditsDebited, usageRefusals } from '../../metrics';
import type { App } from '../app';
import { CodedError } from '../../domain/failure-codes';
import { notFound } from '../errors';
import { usageBody, UsageCharge, UsageHistoryQuery, UsageHistoryResponse, UsageSummaryQuery, UsageSummaryResponse } from '../schemas/usage';
import { WorkspaceParams } from '../schemas/workspace-params';

export interface UsageRouteDeps {
  pool: Pool;
  pricing: PricingConfig;
}

const MAX_RANGE_MS = 400 * 86_400_000;

export function usageRoutes(deps: UsageRouteDeps) {
  return (app: App) => {
    app.post(
      '/v1/workspaces/:id/usage',
      {
        config: {
          refusals: ['not_found', 'unknown_action', 'credit_limit_reached', 'payment_required', 'feature_disabled', 'subscription_cancelled', 'workspace_deleted', 'workspace_not_ready', 'idempotency_conflict'],
          enumRefusals: { action: 'unknown_action' },
        },
        schema: {
          tags: ['usage'],
          operationId: 'recordUsage',
          summary: 'Check and debit the credits one AI action costs (idempotent by idempotencyKey)',
          'x-refusal': 'a token-metered action (ai_assist) needs `tokens` (422 validation_failed); an action outside the price list is 422 unknown_action',
          params: WorkspaceParams,
          body: usageBody(deps.pricing),
          response: { 200: UsageCharge },
        },
      },
      async (req, reply) => {
        const outcome = await checkAndDebit(deps.pool, deps.pricing, { workspaceId: req.params.id, ...req.body });
        if (!outcome.ok) {
          usageRefusals.inc({ reason: outcome.code });
          throw new CodedError(outcome.code, outcome.message, outcome.details);
        }
        if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
        else for (const [bucket, credits] of Object.entries(outcome.charge.buckets)) if (credits > 0) creditsDebited.inc({ bucket }, credits);
        return outcome.charge;
      },
    );

    app.get(
      '/v1/workspaces/:id/usage',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['usage'],
          operationId: 'getUsageSummary',
          summary: 'Usage totals per member or per day over a range (default: the current term)',
          'x-refusal': 'from must be before to, and the range at most 400 days (422 validation_failed)',
          params: WorkspaceParams,
          querystring: UsageSummaryQuery,
          response: { 200: UsageSummaryResponse },
        },
      },
      async (req) => {
        const from = req.query.from ? new Date(req.query.from) : undefined;
        const to = req.query.to ? new Date(req.query.to) : undefined;
        if (from && to && !(from < to && to.getTime() - from.getTime() <= MAX_RANGE_MS)) {
          throw new CodedError('validation_failed', 'from must be before to, and the range at most 400 days');
        }
        const summary = await usageSummary(deps.pool, { workspaceId: req.params.id, groupBy: (req.query.groupBy ?? 'member') as 'member' | 'day', from, to });
        if (!summary) throw notFound(`workspace '${req.params.id}'`);
        return summary;
      },
    );

    app.get(
      '/v1/workspaces/:id/usage/history',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['usage'],
          operationId: 'getUsageHistory',
          summary: 'Usage events, newest first, a page at a time',
          params: WorkspaceParams,
          querystring: UsageHistoryQuery,
          response: { 200: UsageHistoryResponse },
        },
      },
      async (req) => {
        const page = await usageHistory(deps.pool, { workspaceId: req.params.id, limit: req.query.limit ?? 50, cursor: req.query.cursor });
        if (!page) throw notFound(`workspace '${req.params.id}'`);
        return page;
      },
    );
  };
}
