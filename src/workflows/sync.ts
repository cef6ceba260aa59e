import {
  type ActivityOptions,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SyncBatchResult } from '../activities/sync-customers';
import {
  disableSignal,
  importBatchDoneSignal,
  importBatchSignal,
  isLiveChange,
  stripeEventsSignal,
  syncStatusQuery,
  type StripeEventRef,
  type SyncCounters,
  type WorkItem,
} from '../shared/messages';
import {
  CATCH_UP_EVERY_MS,
  LOCAL_LIVE_BATCH_MAX_CUSTOMERS,
  LOCAL_LIVE_BATCH_QUIET_MS,
  LOCAL_LIVE_BATCH_TIMEOUT_MS,
  PENDING_EVENTS_PAGE,
  RECENT_EVENT_WINDOW,
  RUN_HISTORY_EVENTS,
  SYNC_BATCH_SIZE,
  SYNC_LIVE_BATCHES_BEYOND_SLOTS,
  SYNC_MAX_CONCURRENT_BATCHES,
  SYNC_QUEUE_BOUND,
  SYNC_RUN_LIFETIME_MS,
} from './constants';
import { WorkQueue, type PageAck, type WorkQueueSnapshot } from './work-queue';
import { RecentIds } from './recent-ids';
import { addCounters, emptyCounters } from '../shared/counters';
import { IMPORT_PRIORITY_KEY } from '../shared/priorities';
import { patchBundle } from './patches';

export interface SyncWorkflowInput {
  installId: string;
  /**
   * Continue-as-new once the history is this long, even before Temporal suggests it (at 4,096 events). Lets tests
   * exercise the hand-over; carried to the next run.
   */
  historyLimit?: number;
  /** How long a run lives before it continues as new (ms; SYNC_RUN_LIFETIME_MS unless a test asks); carried along. */
  runLifetime?: number;
  /** State carried across continue-as-new. */
  carried?: {
    queue: WorkQueueSnapshot;
    recentEventIds: string[];
    counters: SyncCounters;
    lastError: string | null;
    /** caughtUpTo of the last catch-up (unix s) and when the next is due (epoch ms). */
    catchUp?: { caughtUpTo: number | null; nextAt: number };
    /**
     * The queue above holds only what PostgreSQL cannot give back (BOUNDED_HANDOVER_PATCH): the run re-reads the
     * install's recorded, unprocessed events before it takes any work. Its event ids are all redelivered ones.
     */
    pendingInDatabase?: boolean;
  };
}

/**
 * Runs started before this patch kept a catch-up timer per loop turn (a started and a cancelled timer in the history
 * for every batch) and continued as new only when Temporal suggested it; they replay the same way.
 */
const SHORT_RUNS_PATCH = 'sync-short-runs-one-catch-up-timer';

/**
 * Runs started before this patch continued as new only when their history filled, so an idle install's run could
 * live for months on the code (and patch branches) it started with; runs now also end after SYNC_RUN_LIFETIME_MS.
 */
const DAILY_RUNS_PATCH = 'sync-run-continues-as-new-daily';

/**
 * Runs started before this patch carried every pending customer with all its event ids in the continue-as-new input,
 * which a long Intercom outage or a large catch-up could push past Temporal's 2 MB payload limit. Runs now hand over
 * ids and counters only: recorded Stripe events still to process are re-read from PostgreSQL by the next run.
 */
const BOUNDED_HANDOVER_PATCH = 'sync-hands-over-pending-events-through-postgres';

/**
 * Batches of customers only an import brought (no Stripe event among them) are written at the import's priority, so
 * that live changes (webhooks, catch-up) are handed to workers before them; runs started before wrote every batch at
 * the workflow's own priority, live changes queued behind an import's writes.
 */
const IMPORT_BATCH_PRIORITY_PATCH = 'sync-import-only-batches-at-import-priority';

/**
 * A live change to an idle install (one or two customers, nothing else of the run in flight) is written by a local
 * activity, in the workflow task that took its signal: 5 history events instead of 10 and one workflow task instead
 * of two, so about a third less CPU per change over the whole stack and half the latency. The run waits for it before
 * it takes more work, and it is given LOCAL_LIVE_BATCH_TIMEOUT_MS, so it always resolves in the task that scheduled it:
 * local activities resolving in another order or another task on replay than live are what makes them
 * nondeterministic (https://github.com/temporalio/sdk-typescript/issues/1744). One attempt: a failure or a timeout
 * leaves the batch to the activity, whose retries the status page shows (it learns them from Temporal's describe).
 */
const LOCAL_LIVE_BATCH_PATCH = 'sync-idle-live-batches-as-local-activities';

/**
 * A short queue of customers only an import brought is taken as one batch (up to SYNC_BATCH_SIZE) instead of being
 * spread over the free batch slots. A batch writes all its contacts at once and an imported customer needs no Stripe
 * read, so spreading bought no speed: it cost an activity, a workflow task and an Intercom search per part (a
 * 20-customer install wrote in 5 activities). Queues holding live changes are still spread, for their Stripe reads.
 * Runs started before spread every short queue.
 */
const WHOLE_IMPORT_BATCHES_PATCH = 'sync-import-only-queue-in-whole-batches';

/** Every patch above, recorded as one marker by the runs started since (patchBundle). */
const syncPatched = patchBundle('sync-patches-2026-12', [
  SHORT_RUNS_PATCH,
  DAILY_RUNS_PATCH,
  BOUNDED_HANDOVER_PATCH,
  IMPORT_BATCH_PRIORITY_PATCH,
  LOCAL_LIVE_BATCH_PATCH,
  WHOLE_IMPORT_BATCHES_PATCH,
]);

/**
 * A local batch holds its install's workflow task until it ends, so a change arriving meanwhile waits for it. With the
 * machine busy importing (bench:fleet), local batches took 1–2.6 s and a busy install's changes queued behind one
 * another: live p99 2.3–2.9 s where a change takes 0.5 s. Runs started since write a change locally only when the
 * install's change before it came LOCAL_LIVE_BATCH_QUIET_MS earlier or more: a busy install's changes go to activities,
 * which leave the task free for the next signal.
 */
const QUIET_LOCAL_BATCHES_PATCH = 'sync-local-batches-only-after-a-quiet-spell';

/**
 * A live change to an install that is importing waited behind the import: up to SYNC_QUEUE_BOUND imported customers
 * queued before it, taken oldest first, with every batch slot busy writing them (bench:fleet: the big install's own
 * changes during its import p50/p99 2.4 / 9.4 s, against 0.5 / 1.7 s on the other installs). Runs started since take
 * customers with a Stripe event of their own first, in batches of their own, and give them one batch beyond
 * SYNC_MAX_CONCURRENT_BATCHES when every slot is busy.
 */
const LIVE_AHEAD_PATCH = 'sync-live-changes-ahead-of-the-import-queue';

/**
 * With one batch beyond the slots, a live change arriving while the previous one's batch ran waited for it: a change
 * to a customer the import has not read yet takes 2–3 s (its Stripe reads, then a contact to create), and in
 * bench:fleet the importing install's changes waited up to 1.8 s to be scheduled. Runs started since give live changes
 * up to SYNC_LIVE_BATCHES_BEYOND_SLOTS batches beyond SYNC_MAX_CONCURRENT_BATCHES.
 */
const MORE_LIVE_BATCHES_PATCH = 'sync-live-batches-beyond-the-slots';

/**
 * The three patches above, one marker. Runs that recorded the first two as `sync-patches-2026-12-live` (a bundle of
 * their own, since `sync-patches-2026-12` is fixed) replay on it, without the third (patches.ts).
 */
const livePatched = patchBundle(
  'sync-patches-2026-12-live-2',
  [QUIET_LOCAL_BATCHES_PATCH, LIVE_AHEAD_PATCH, MORE_LIVE_BATCHES_PATCH],
  patchBundle('sync-patches-2026-12-live', [QUIET_LOCAL_BATCHES_PATCH, LIVE_AHEAD_PATCH]),
);

/**
 * Whether an event id is a recorded Stripe event the next run can re-read: Stripe's event ids start with `evt_`
 * (https://docs.stripe.com/api/events/object); the support refresh's and reconcile's own ids do not, and a redelivered
 * event (reconcile --fix) is processed already, so not pending in PostgreSQL.
 */
const isStripeEventId = (eventId: string) => eventId.startsWith('evt_');

const { prepareInstall } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InstallFailed'] },
});

const { pendingEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const { catchUpEvents, requestResync } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '5 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['InstallFailed'],
  },
});

const syncBatchOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // The activity heartbeats every 2 s while it runs (withFailureMapping): a dead worker's batch is retried on another
  // worker within seconds, while a slow Intercom call keeps its attempt (bounded by the client's 30 s timeout).
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InstallFailed'] },
};
const { syncCustomers } = proxyActivities<Activities>(syncBatchOptions);
const { syncCustomers: syncCustomersLocally } = proxyLocalActivities<Activities>({
  scheduleToCloseTimeout: LOCAL_LIVE_BATCH_TIMEOUT_MS,
  retry: { maximumAttempts: 1 },
});

/**
 * The single writer to Intercom for one install (`sync:<installId>`). Webhook events and import pages arrive as
 * signals carrying ids; customers are written in batches, never two writes for one customer at once.
 */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<void> {
  const { installId } = input;
  // The install's fairness key is kept: an activity's priority replaces the workflow's it would inherit.
  const { syncCustomers: syncImportedCustomers } = proxyActivities<Activities>({
    ...syncBatchOptions,
    priority: { ...workflowInfo().priority, priorityKey: IMPORT_PRIORITY_KEY },
  });
  const queue = new WorkQueue(input.carried?.queue);
  const recentEventIds = new RecentIds(RECENT_EVENT_WINDOW, input.carried?.recentEventIds);
  const counters = input.carried?.counters ?? emptyCounters();
  let lastError = input.carried?.lastError ?? null;
  let disabled = false;
  let runningBatches = 0;
  // Acknowledgements being signalled: the run must not continue-as-new before they are sent, or the import waits forever.
  let acksInFlight = 0;
  // When the last two Stripe event signals arrived (workflow time): how quiet the install was before its latest change.
  let previousChangeAt = Number.NEGATIVE_INFINITY;
  let latestChangeAt = Number.NEGATIVE_INFINITY;
  // Whether live changes go ahead of the import's queue (LIVE_AHEAD_PATCH), and with how many batches beyond the slots
  // (MORE_LIVE_BATCHES_PATCH): decided when the run's first one arrives.
  let liveAhead = false;
  let liveBatchesBeyondSlots = 1;
  let caughtUpTo = input.carried?.catchUp?.caughtUpTo ?? null;
  // A fresh run (install, or restart after a failure) catches up at once.
  let nextCatchUpAt = input.carried?.catchUp?.nextAt ?? Date.now();
  let catchingUp = false;
  // Event ids handed over again on purpose: already processed in PostgreSQL, so a bounded hand-over carries them.
  const redelivered = new Set<string>(
    input.carried?.pendingInDatabase
      ? input.carried.queue.pending.flatMap((item) => item.eventIds.filter(isStripeEventId))
      : [],
  );

  function enqueueEvents(refs: StripeEventRef[]): void {
    if (refs.length > 0 && !liveAhead) {
      liveAhead = livePatched(LIVE_AHEAD_PATCH);
      if (liveAhead && livePatched(MORE_LIVE_BATCHES_PATCH)) liveBatchesBeyondSlots = SYNC_LIVE_BATCHES_BEYOND_SLOTS;
    }
    for (const ref of refs) {
      if (!recentEventIds.add(ref.eventId) && !ref.redeliver) continue;
      if (ref.redeliver) redelivered.add(ref.eventId);
      queue.add({ customerId: ref.customerId, refresh: ref.refresh, eventIds: [ref.eventId] });
    }
  }

  /**
   * The previous run's pending events, from PostgreSQL, before any work is taken. Not filtered by the recent ids: the
   * previous run remembered them when they arrived. A signal carrying one of them meanwhile coalesces into its item.
   */
  async function loadPendingEvents(): Promise<void> {
    let after: Parameters<typeof pendingEvents>[0]['after'] = null;
    do {
      const page: Awaited<ReturnType<Activities['pendingEvents']>> = await pendingEvents({
        installId,
        after,
        limit: PENDING_EVENTS_PAGE,
      });
      for (const ref of page.refs) {
        recentEventIds.add(ref.eventId);
        queue.add({ customerId: ref.customerId, refresh: ref.refresh, eventIds: [ref.eventId] });
      }
      after = page.next;
    } while (after);
    describe();
  }

  setHandler(stripeEventsSignal, (refs) => {
    previousChangeAt = latestChangeAt;
    latestChangeAt = Date.now();
    enqueueEvents(refs);
  });
  setHandler(importBatchSignal, (batch) => {
    const ack = queue.addPage({ replyTo: batch.replyTo, seq: batch.seq }, batch.customerIds);
    if (ack) void acknowledgePages([ack]);
  });
  setHandler(disableSignal, () => {
    disabled = true;
    queue.clear();
  });
  setHandler(syncStatusQuery, () => ({
    installId,
    disabled,
    queueDepth: queue.depth,
    maxQueueDepth: queue.maxDepth,
    queueBound: SYNC_QUEUE_BOUND,
    inFlightCustomers: queue.inFlightCount,
    counters,
    lastError,
  }));

  async function acknowledgePages(acks: PageAck[]): Promise<void> {
    acksInFlight += 1;
    try {
      await signalAcks(acks);
    } finally {
      acksInFlight -= 1;
    }
  }

  async function signalAcks(acks: PageAck[]): Promise<void> {
    for (const ack of acks) {
      try {
        await getExternalWorkflowHandle(ack.replyTo).signal(importBatchDoneSignal, { seq: ack.seq });
      } catch (err) {
        // The import may have been cancelled or replaced by a resync; nothing waits for this page any more.
        log.warn('import acknowledgement not delivered', { replyTo: ack.replyTo, error: String(err) });
      }
    }
  }

  function recordBatch(result: SyncBatchResult): void {
    addCounters(counters, result.counters);
    if (result.lastError) lastError = result.lastError;
  }

  async function runBatch(items: WorkItem[]): Promise<void> {
    try {
      const importOnly = !items.some(isLiveChange);
      const write = importOnly && syncPatched(IMPORT_BATCH_PRIORITY_PATCH) ? syncImportedCustomers : syncCustomers;
      recordBatch(await write({ installId, items }));
    } catch (err) {
      lastError = failureMessage(err);
      if (isInstallFailure(err)) disabled = true;
    } finally {
      runningBatches -= 1;
      await acknowledgePages(queue.complete(items));
      describe();
    }
  }

  /** Whether `items`, just taken, are a live change to an idle install (LOCAL_LIVE_BATCH_PATCH). */
  function writableLocally(items: WorkItem[]): boolean {
    const idle = runningBatches === 0 && acksInFlight === 0 && !catchingUp && !queue.hasReady();
    const live = items.length <= LOCAL_LIVE_BATCH_MAX_CUSTOMERS && items.every(isLiveChange);
    if (!idle || !live || !syncPatched(LOCAL_LIVE_BATCH_PATCH)) return false;
    return !livePatched(QUIET_LOCAL_BATCHES_PATCH) || Date.now() - previousChangeAt >= LOCAL_LIVE_BATCH_QUIET_MS;
  }

  /** Writes a live change as a local activity; false when it failed (not for good) and is left to an activity. */
  async function writtenLocally(items: WorkItem[]): Promise<boolean> {
    try {
      recordBatch(await syncCustomersLocally({ installId, items }));
    } catch (err) {
      if (!isInstallFailure(err)) return false;
      lastError = failureMessage(err);
      disabled = true;
    }
    void acknowledgePages(queue.complete(items));
    describe();
    return true;
  }

  /**
   * A short queue with live changes is spread over the free batch slots rather than filling one batch: their Stripe
   * reads run in parallel batches instead of in line inside one. Customers only an import brought go in whole batches
   * (WHOLE_IMPORT_BATCHES_PATCH).
   */
  function nextBatchSize(): number {
    if (queue.readyImportOnly() && syncPatched(WHOLE_IMPORT_BATCHES_PATCH)) return SYNC_BATCH_SIZE;
    // None free when live batches take slots beyond the limit (LIVE_AHEAD_PATCH, MORE_LIVE_BATCHES_PATCH).
    const freeSlots = Math.max(1, SYNC_MAX_CONCURRENT_BATCHES - runningBatches);
    return Math.min(SYNC_BATCH_SIZE, Math.ceil(queue.pendingCount / freeSlots));
  }

  async function catchUp(): Promise<void> {
    catchingUp = true;
    try {
      const result = await catchUpEvents({ installId, since: caughtUpTo });
      caughtUpTo = result.caughtUpTo;
      if (result.disabled) {
        disabled = true;
        queue.clear();
        return;
      }
      enqueueEvents(result.refs);
      if (result.resyncNeeded) await requestResync({ installId });
    } catch (err) {
      // Tried again next period; webhooks keep flowing meanwhile.
      lastError = `event catch-up failed: ${err instanceof Error ? err.message : String(err)}`;
      if (isInstallFailure(err)) disabled = true;
    } finally {
      catchingUp = false;
      nextCatchUpAt = Date.now() + CATCH_UP_EVERY_MS;
      describe();
    }
  }

  function describe(): void {
    setCurrentDetails(
      [
        `**Install** ${installId}${disabled ? ' (disabled)' : ''}`,
        `queue ${queue.depth} (max seen ${queue.maxDepth}, bound ${SYNC_QUEUE_BOUND}), in flight ${queue.inFlightCount}`,
        `created ${counters.created} · matched ${counters.matched} · updated ${counters.updated} · unchanged ${counters.unchanged}`,
        `skipped without email ${counters.skippedNoEmail} · failed ${counters.failed} · events sent ${counters.eventsSent}`,
        lastError ? `last error: ${lastError}` : '',
      ].join('\n'),
    );
  }

  describe();
  try {
    await prepareInstall({ installId });
  } catch (err) {
    lastError = failureMessage(err);
    describe();
    throw err;
  }
  if (input.carried?.pendingInDatabase) await loadPendingEvents();

  const shortRuns = syncPatched(SHORT_RUNS_PATCH);
  const historyLimit = Math.min(input.historyLimit ?? Infinity, shortRuns ? RUN_HISTORY_EVENTS : Infinity);
  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  // Every run ends within a day (DAILY_RUNS_PATCH), so its next one runs the code deployed since.
  let lifetimeOver = false;
  if (syncPatched(DAILY_RUNS_PATCH)) {
    void sleep(input.runLifetime ?? SYNC_RUN_LIFETIME_MS).then(() => (lifetimeOver = true));
  }
  const shouldStop = () => disabled || historyFull() || lifetimeOver;
  const liveSlotFree = () =>
    liveAhead && runningBatches < SYNC_MAX_CONCURRENT_BATCHES + liveBatchesBeyondSlots && queue.hasReadyLive();
  const canTake = () => queue.hasReady() && (runningBatches < SYNC_MAX_CONCURRENT_BATCHES || liveSlotFree());
  // One timer per catch-up period: a condition timeout per loop turn would add two history events to every batch.
  let catchUpDue = Date.now() >= nextCatchUpAt;
  const scheduleCatchUp = () => void sleep(Math.max(1, nextCatchUpAt - Date.now())).then(() => (catchUpDue = true));
  if (shortRuns && !catchUpDue) scheduleCatchUp();
  const timeForCatchUp = () => (shortRuns ? catchUpDue : Date.now() >= nextCatchUpAt);
  for (;;) {
    if (!catchingUp && !disabled && timeForCatchUp()) {
      catchUpDue = false;
      void catchUp().then(() => shortRuns && scheduleCatchUp());
    }
    if (catchingUp) await condition(() => shouldStop() || canTake() || !catchingUp);
    else if (shortRuns) await condition(() => shouldStop() || canTake() || catchUpDue);
    else await condition(() => shouldStop() || canTake(), Math.max(1, nextCatchUpAt - Date.now()));
    if (shouldStop()) break;
    if (!canTake()) continue;
    const items = queue.take(nextBatchSize(), liveAhead && queue.hasReadyLive());
    // Awaited: nothing else of the run starts while a local batch runs (LOCAL_LIVE_BATCH_PATCH).
    if (writableLocally(items) && (await writtenLocally(items))) continue;
    runningBatches += 1;
    void runBatch(items);
  }

  await condition(() => runningBatches === 0 && acksInFlight === 0 && !catchingUp && allHandlersFinished());
  if (disabled) {
    describe();
    return;
  }
  const bounded = syncPatched(BOUNDED_HANDOVER_PATCH);
  const fromDatabase = (eventId: string) => isStripeEventId(eventId) && !redelivered.has(eventId);
  await continueAsNew<typeof syncWorkflow>({
    installId,
    historyLimit: input.historyLimit,
    runLifetime: input.runLifetime,
    carried: {
      queue: bounded ? queue.handOverSnapshot(fromDatabase) : queue.snapshot(),
      recentEventIds: recentEventIds.toArray(),
      counters,
      lastError,
      catchUp: { caughtUpTo, nextAt: nextCatchUpAt },
      ...(bounded ? { pendingInDatabase: true } : {}),
    },
  });
}

/** What went wrong, for people: an activity's own failure message rather than Temporal's "Activity task failed". */
function failureMessage(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof ApplicationFailure) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function isInstallFailure(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === 'InstallFailed';
}
