import { CancelledFailure, Context } from '@temporalio/activity';

// A paced vendor call that waited for its budget is not sent once its activity is cancelled: Temporal delivers the
// cancellation with a heartbeat's answer (https://docs.temporal.io/activities#cancellation).

/** The running activity's context; undefined outside an activity (a script or a test calling the code directly). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Throws the activity's CancelledFailure once it is cancelled: called before each request a paced client sends. */
export function throwIfActivityCancelled(): void {
  const signal = activityContext()?.cancellationSignal;
  if (signal?.aborted) throw new CancelledFailure(`activity cancelled: ${String(signal.reason)}`);
}
