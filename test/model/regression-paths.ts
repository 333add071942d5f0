// Sequences that once failed the model checker for a reason of its own (not
// a defect of the system), replayed by the model test so the fix stays.
export const REGRESSION_PATHS: Record<string, string[]> = {
  // Soak 2026-12-03, seed 20261226: three windows of two Stripe failures stacked to six, and the card
  // change's retries (63 s of backoff in real time) outlasted the API's 60 s wait: 503 still_processing.
  'stacked Stripe faults stay within the API wait': [
    'create({"plan":"free","paymentMethod":"pm_card_visa"})',
    'stripeFault(2, "before")',
    'stripeFault(2, "before")',
    'repeatCreate()',
    'stripeFault(2, "before")',
    'paymentMethod("pm_card_visa")',
  ],
};
