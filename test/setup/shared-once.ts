// Several Vitest projects (tiers) list the same global setup, and Vitest runs
// it once per project. One resource per run is enough (one Postgres, one
// stripe-mock, one workflow bundle): the first project starts it, the last one
// to tear down stops it. Kept on globalThis: each project may load this module
// separately.
export interface Started<T> {
  value: T;
  stop: () => Promise<void>;
}

interface Entry {
  started: Promise<Started<unknown>>;
  users: number;
}

const registry = ((globalThis as { __billingTestShared?: Map<string, Entry> }).__billingTestShared ??= new Map());

/** Starts `start()` once per key; `release` stops it when its last user releases it. */
export async function sharedOnce<T>(key: string, start: () => Promise<Started<T>>): Promise<{ value: T; release: () => Promise<void> }> {
  let entry = registry.get(key);
  if (!entry) {
    entry = { started: start(), users: 0 };
    registry.set(key, entry);
  }
  const own = entry;
  own.users++;
  let started: Started<T>;
  try {
    started = (await own.started) as Started<T>;
  } catch (err) {
    registry.delete(key);
    throw err;
  }
  return {
    value: started.value,
    release: async () => {
      if (--own.users > 0) return;
      registry.delete(key);
      await started.stop();
    },
  };
}
