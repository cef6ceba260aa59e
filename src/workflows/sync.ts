import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  disableSignal,
  importBatchDoneSignal,
  importBatchSignal,
  stripeEventsSignal,
  syncStatusQuery,
  type SyncCounters,
} from '../shared/messages';
import { RECENT_EVENT_WINDOW, SYNC_BATCH_SIZE, SYNC_MAX_CONCURRENT_BATCHES, SYNC_QUEUE_BOUND } from '../shared/limits';
import { WorkQueue, type PageAck, type WorkItem, type WorkQueueSnapshot } from './work-queue';
import { RecentIds } from './recent-ids';
import { addCounters, emptyCounters } from '../shared/counters';

export interface SyncWorkflowInput {
  installId: string;
  /** State carried across continue-as-new. */
  carried?: {
    queue: WorkQueueSnapshot;
    recentEventIds: string[];
    counters: SyncCounters;
    lastError: string | null;
  };
}

const { prepareInstall } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InstallFailed'] },
});

const { syncCustomers } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['InstallFailed'] },
});

/**
 * The single writer to Intercom for one install (`sync:<installId>`). Webhook events and import pages arrive as
 * signals carrying ids; customers are written in batches, never two writes for one customer at once.
 */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<void> {
  const { installId } = input;
  const queue = new WorkQueue(input.carried?.queue);
  const recentEventIds = new RecentIds(RECENT_EVENT_WINDOW, input.carried?.recentEventIds);
  const counters = input.carried?.counters ?? emptyCounters();
  let lastError = input.carried?.lastError ?? null;
  let disabled = false;
  let runningBatches = 0;

  setHandler(stripeEventsSignal, (refs) => {
    for (const ref of refs) {
      if (!recentEventIds.add(ref.eventId)) continue;
      queue.add({ customerId: ref.customerId, refresh: ref.refresh, eventIds: [ref.eventId] });
    }
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
    for (const ack of acks) {
      try {
        await getExternalWorkflowHandle(ack.replyTo).signal(importBatchDoneSignal, { seq: ack.seq });
      } catch (err) {
        // The import may have been cancelled or replaced by a resync; nothing waits for this page any more.
        log.warn('import acknowledgement not delivered', { replyTo: ack.replyTo, error: String(err) });
      }
    }
  }

  async function runBatch(items: WorkItem[]): Promise<void> {
    try {
      const result = await syncCustomers({ installId, items });
      addCounters(counters, result.counters);
      if (result.lastError) lastError = result.lastError;
    } catch (err) {
      lastError = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
      if (isInstallFailure(err)) disabled = true;
    } finally {
      runningBatches -= 1;
      await acknowledgePages(queue.complete(items));
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
    lastError = err instanceof Error ? err.message : String(err);
    describe();
    throw err;
  }

  for (;;) {
    await condition(
      () =>
        disabled ||
        workflowInfo().continueAsNewSuggested ||
        (queue.hasReady() && runningBatches < SYNC_MAX_CONCURRENT_BATCHES),
    );
    if (disabled || workflowInfo().continueAsNewSuggested) break;
    const items = queue.take(SYNC_BATCH_SIZE);
    runningBatches += 1;
    void runBatch(items);
  }

  await condition(() => runningBatches === 0 && allHandlersFinished());
  if (disabled) {
    describe();
    return;
  }
  await continueAsNew<typeof syncWorkflow>({
    installId,
    carried: { queue: queue.snapshot(), recentEventIds: recentEventIds.toArray(), counters, lastError },
  });
}

function isInstallFailure(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure && cause.type === 'InstallFailed';
}
