// Sign-up baseline of the renewal benchmark: a workflow started by
// update-with-start whose update returns at once, which is Temporal's own
// floor for "create 1,000 workspaces" (each one an update-with-start).
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const signUpNoop = defineUpdate<string, [string]>('signUpNoop');

export async function trivialSignUp(): Promise<void> {
  let answered = false;
  setHandler(signUpNoop, (id) => {
    answered = true;
    return id;
  });
  await condition(() => answered);
}
