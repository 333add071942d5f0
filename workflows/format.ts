// Dates as the history's summaries and ops' current details show them (UTC).
export const iso = (ms: number): string => new Date(ms).toISOString();
export const day = (ms: number): string => iso(ms).slice(0, 10);
