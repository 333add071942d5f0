-- Up Migration
-- The usage hot path (rule 4) in one round trip. usage_debit decides and
-- writes one billable request under the balance row's lock: the gates
-- (deleted, cancelled or closed term, past due, feature switch), the split in
-- consumption order (plan, purchased, overage up to the on-demand room, the
-- rest shortfall; src/domain/consumption.ts is the same arithmetic), the
-- usage event (also the idempotency record), its ledger entries, the balance
-- cache and any credits.low / credits.exhausted outbox event. The API turns
-- the outcome into its answer; the refusal text is built there.
-- usage_debit_many runs several in one statement, in the given order, so
-- debits that arrive together share one transaction and one WAL flush (the
-- caller orders them by workspace so two batches lock rows in one order).
-- The fields every credits.* event payload starts with (refreshesAt as JavaScript's toISOString writes it).
CREATE FUNCTION usage_event_head(p_workspace text, p_term_index integer, p_term_end timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('workspaceId', p_workspace, 'termIndex', p_term_index,
    'refreshesAt', to_char(p_term_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

CREATE FUNCTION usage_debit(
  p_workspace text, p_key text, p_hash text, p_member text, p_action text, p_feature text,
  p_tokens integer, p_cost integer, p_already_performed boolean, p_low_percent numeric,
  OUT outcome text, OUT response jsonb,
  -- the row as it was, for a refusal's message
  OUT plan_balance bigint, OUT purchased_balance bigint, OUT overage_used bigint,
  OUT on_demand_enabled boolean, OUT on_demand_monthly_limit integer, OUT term_end timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  ws record;
  v_status text;
  v_prior_hash text;
  v_prior_response jsonb;
  v_plan bigint;
  v_purchased bigint;
  v_rest bigint;
  v_overage bigint;
  v_short bigint;
  v_total bigint;
  v_low boolean;
  v_exhausted boolean;
  v_balance jsonb;
  v_head jsonb;
  v_id bigint;
BEGIN
  SELECT b.term_index, b.term_end, b.plan_balance, b.purchased_balance, b.overage_used,
         b.low_notified, b.exhausted_notified, b.term_closed, w.status,
         (p_feature = ANY (w.disabled_features)) AS feature_disabled,
         w.on_demand_enabled, w.on_demand_monthly_limit, w.low_balance_threshold, w.plan_credits
  INTO ws
  FROM credit_balances b JOIN workspaces w ON w.id = b.workspace_id
  WHERE b.workspace_id = p_workspace
  FOR UPDATE OF b;
  IF NOT FOUND THEN
    -- No balance row: an unknown workspace, or no term opened for it yet.
    SELECT w.status INTO v_status FROM workspaces w WHERE w.id = p_workspace;
    outcome := CASE WHEN v_status IS NULL OR v_status = 'signup_failed' THEN 'not_found' ELSE 'workspace_not_ready' END;
    RETURN;
  END IF;
  plan_balance := ws.plan_balance;
  purchased_balance := ws.purchased_balance;
  overage_used := ws.overage_used;
  on_demand_enabled := ws.on_demand_enabled;
  on_demand_monthly_limit := ws.on_demand_monthly_limit;
  term_end := ws.term_end;

  -- The term closes on the balance row before the read model says cancelled.
  outcome := CASE
    WHEN ws.status = 'deleted' THEN 'workspace_deleted'
    WHEN ws.status = 'cancelled' OR ws.term_closed THEN 'subscription_cancelled'
    WHEN ws.status = 'past_due' THEN 'payment_required'
    WHEN ws.feature_disabled THEN 'feature_disabled'
  END;

  v_plan := least(p_cost, greatest(0, ws.plan_balance));
  v_purchased := least(p_cost - v_plan, greatest(0, ws.purchased_balance));
  v_rest := p_cost - v_plan - v_purchased;
  v_overage := CASE
    WHEN NOT ws.on_demand_enabled THEN 0
    WHEN ws.on_demand_monthly_limit = 0 THEN v_rest -- 0 = unlimited
    ELSE least(v_rest, greatest(0, ws.on_demand_monthly_limit - ws.overage_used))
  END;
  v_short := v_rest - v_overage;
  IF outcome IS NULL AND v_short > 0 AND NOT p_already_performed THEN
    outcome := 'credit_limit_reached';
  END IF;

  IF outcome IS NULL THEN
    v_total := ws.plan_balance - v_plan + ws.purchased_balance - v_purchased;
    v_balance := jsonb_build_object('plan', ws.plan_balance - v_plan, 'purchased', ws.purchased_balance - v_purchased, 'total', v_total);
    response := jsonb_build_object('creditsCharged', v_plan + v_purchased + v_overage,
      'buckets', jsonb_build_object('plan', v_plan, 'purchased', v_purchased, 'overage', v_overage),
      'balance', v_balance, 'unbilledShortfall', v_short);
    INSERT INTO usage_events AS u (workspace_id, idempotency_key, request_hash, member_id, action, feature, tokens, credits,
      plan_credits, purchased_credits, overage_credits, shortfall_credits, already_performed, term_index, response)
    VALUES (p_workspace, p_key, p_hash, p_member, p_action, p_feature, p_tokens, v_plan + v_purchased + v_overage,
      v_plan, v_purchased, v_overage, v_short, p_already_performed, ws.term_index, response)
    ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
    RETURNING u.id INTO v_id;
    IF v_id IS NOT NULL THEN
      v_low := NOT ws.low_notified AND CASE
        WHEN ws.low_balance_threshold IS NOT NULL THEN v_total < ws.low_balance_threshold
        ELSE v_total * 100 < ws.plan_credits * p_low_percent
      END;
      v_exhausted := NOT ws.exhausted_notified AND v_short > 0;
      IF v_low OR v_exhausted THEN
        v_head := usage_event_head(p_workspace, ws.term_index, ws.term_end);
      END IF;
      UPDATE credit_balances SET plan_balance = plan_balance - v_plan, purchased_balance = purchased_balance - v_purchased,
        overage_used = overage_used + v_overage, unbilled_shortfall = unbilled_shortfall + v_short,
        low_notified = low_notified OR v_low, exhausted_notified = exhausted_notified OR v_exhausted
      WHERE workspace_id = p_workspace;
      INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
      SELECT p_workspace, 'usage:' || p_key, x.kind, x.bucket, -x.credits, ws.term_index, p_action || ' by ' || p_member || ' (' || p_feature || ')'
      FROM (VALUES ('consumption', 'plan', v_plan), ('consumption', 'purchased', v_purchased),
                   ('overage', 'overage', v_overage), ('shortfall', 'shortfall', v_short)) AS x (kind, bucket, credits)
      WHERE x.credits > 0;
      IF v_low THEN
        INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
        VALUES (p_workspace, 'credits.low', v_head || jsonb_build_object('balance', v_balance,
          'threshold', coalesce(ws.low_balance_threshold::numeric, trim_scale(ws.plan_credits * p_low_percent / 100))),
          'credits.low:' || p_workspace || ':' || ws.term_index)
        ON CONFLICT (dedupe_key) DO NOTHING;
      END IF;
      IF v_exhausted THEN
        INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
        VALUES (p_workspace, 'credits.exhausted', v_head || jsonb_build_object('balance', v_balance, 'reason', 'shortfall', 'action', p_action),
          'credits.exhausted:' || p_workspace || ':' || ws.term_index)
        ON CONFLICT (dedupe_key) DO NOTHING;
      END IF;
      outcome := 'debited';
      RETURN;
    END IF;
    response := NULL; -- the key was used before: answered below
  END IF;

  -- A refusal, or a key used before: a key that already succeeded answers as
  -- it did, whatever changed since; the same key with another body is a conflict.
  SELECT u.request_hash, u.response INTO v_prior_hash, v_prior_response
  FROM usage_events u WHERE u.workspace_id = p_workspace AND u.idempotency_key = p_key;
  IF FOUND THEN
    IF v_prior_hash = p_hash THEN
      outcome := 'replayed';
      response := v_prior_response;
    ELSE
      outcome := 'idempotency_conflict';
    END IF;
    RETURN;
  END IF;
  IF outcome = 'credit_limit_reached' AND NOT ws.exhausted_notified THEN
    UPDATE credit_balances SET exhausted_notified = true WHERE workspace_id = p_workspace;
    INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
    VALUES (p_workspace, 'credits.exhausted', usage_event_head(p_workspace, ws.term_index, ws.term_end) || jsonb_build_object(
        'balance', jsonb_build_object('plan', ws.plan_balance, 'purchased', ws.purchased_balance, 'total', ws.plan_balance + ws.purchased_balance),
        'reason', 'refused', 'action', p_action),
      'credits.exhausted:' || p_workspace || ':' || ws.term_index)
    ON CONFLICT (dedupe_key) DO NOTHING;
  END IF;
END
$$;

CREATE FUNCTION usage_debit_many(
  p_workspace text[], p_key text[], p_hash text[], p_member text[], p_action text[], p_feature text[],
  p_tokens integer[], p_cost integer[], p_already_performed boolean[], p_low_percent numeric[])
RETURNS TABLE (outcome text, response jsonb, plan_balance bigint, purchased_balance bigint, overage_used bigint,
  on_demand_enabled boolean, on_demand_monthly_limit integer, term_end timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_workspace, 1), 0) LOOP
    RETURN QUERY SELECT * FROM usage_debit(p_workspace[i], p_key[i], p_hash[i], p_member[i], p_action[i], p_feature[i],
      p_tokens[i], p_cost[i], p_already_performed[i], p_low_percent[i]);
  END LOOP;
END
$$;

-- Down Migration
DROP FUNCTION usage_debit_many(text[], text[], text[], text[], text[], text[], integer[], integer[], boolean[], numeric[]);
DROP FUNCTION usage_debit(text, text, text, text, text, text, integer, integer, boolean, numeric);
DROP FUNCTION usage_event_head(text, integer, timestamptz);
