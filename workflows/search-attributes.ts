import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes ops use to find a workspace in the Temporal UI.
export const BillingWorkspaceId = defineSearchAttributeKey('BillingWorkspaceId', SearchAttributeType.KEYWORD);
export const BillingPlan = defineSearchAttributeKey('BillingPlan', SearchAttributeType.KEYWORD);
export const BillingStatus = defineSearchAttributeKey('BillingStatus', SearchAttributeType.KEYWORD);
export const BillingTermEnd = defineSearchAttributeKey('BillingTermEnd', SearchAttributeType.DATETIME);
/** True while a step of the main loop is blocked (sleeping until it is retried); the reason is in the current details. */
export const BillingBlocked = defineSearchAttributeKey('BillingBlocked', SearchAttributeType.BOOL);

/** name -> type as the dev server's `--search-attribute` flag and the operator service spell it. */
export const billingSearchAttributes = {
  BillingWorkspaceId: 'Keyword',
  BillingPlan: 'Keyword',
  BillingStatus: 'Keyword',
  BillingTermEnd: 'Datetime',
  BillingBlocked: 'Bool',
} as const;
