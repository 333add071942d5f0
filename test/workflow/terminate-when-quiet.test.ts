// Ending a test's workflows must not leave the time-skipping test server
// locked (test/helpers/terminate-when-quiet.ts): the model checker hung,
// idle, in a 30-day advance that ran in real time after an earlier
// sequence's workflow was terminated with an activity in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingActivities } from '../../activities';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingTestEnv, DAY } from '../helpers/billing-env';
import { terminateWhenQuiet } from '../helpers/terminate-when-quiet';

const signUp = (id: string) => ({ id, name: id, billingEmail: `ap@${id}.test`, plan: 'pro', paymentMethod: 'pm_card_visa', billingAddress: { country: 'US' } }) as const;

/** The real activities, each waiting for `gate` while one is set (an activity held in flight). */
function gatedActivities(t: BillingTestEnv, control: { gate: Promise<void> | null; entered: () => void }): BillingActivities {
  const real = t.realActivities();
  return Object.fromEntries(
    Object.entries(real).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        if (control.gate) {
          control.entered();
          await control.gate;
        }
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  ) as unknown as BillingActivities;
}

/** Starts a sign-up whose first activity stays in flight until the returned release is called. */
async function signUpHeldInFlight(t: BillingTestEnv, id: string): Promise<{ release: () => void; answered: Promise<unknown> }> {
  let release!: () => void;
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  const control = { gate: new Promise<void>((r) => (release = r)) as Promise<void> | null, entered };
  await t.startWorker(gatedActivities(t, control));
  const answered = t.workflows.createWorkspace(signUp(id)).catch((err: unknown) => err);
  await inFlight;
  return {
    release: () => {
      control.gate = null;
      release();
    },
    answered,
  };
}

describe('ending a workflow with an activity in flight', () => {
  let t: BillingTestEnv;
  beforeAll(async () => {
    t = await BillingTestEnv.create();
  });
  afterAll(async () => {
    await t?.teardown();
  });

  it('terminateWhenQuiet waits for the activity, terminates, and a 60-day time skip is still a skip', async () => {
    const { release, answered } = await signUpHeldInFlight(t, 'quiet-end');
    const ended = terminateWhenQuiet(t.env, 'quiet-end', 'test over');
    setTimeout(release, 500);
    expect(await ended).toBe(true);
    await answered;
    const before = await t.now();
    await t.env.sleep(60 * DAY); // with a leaked lock this waits 60 real days: the test fails by its timeout
    expect((await t.now()) - before).toBeGreaterThanOrEqual(60 * DAY);
  }, 120_000);
});

describe('why: the test server keeps the lock of a terminated workflow task', () => {
  let t: BillingTestEnv;
  beforeAll(async () => {
    t = await BillingTestEnv.create();
  });
  afterAll(async () => {
    await t?.teardown();
  });

  // Fails once the test server releases the lock on terminate: then the wait in terminateWhenQuiet can go.
  it('a plain terminate with an activity in flight leaves time skipping locked: virtual time then moves at real speed', async () => {
    const { release, answered } = await signUpHeldInFlight(t, 'plain-end');
    await t.env.client.workflow.getHandle(workflowIdFor('plain-end')).terminate('test over');
    release();
    await answered;
    await new Promise((r) => setTimeout(r, 500)); // the activity's late completion is refused
    const before = await t.now();
    void t.env.sleep(60 * DAY).catch(() => undefined); // never skips: the server is torn down under it
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await t.now()) - before).toBeLessThan(DAY);
  }, 120_000);
});
