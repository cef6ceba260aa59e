import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EstimateBasis, ImportPageKind } from '../activities/import-page';
import { importBatchDoneSignal, importBatchSignal, importProgressQuery, type ImportProgress } from '../shared/messages';
import { IMPORT_MAX_OUTSTANDING_PAGES } from '../shared/limits';
import { syncWorkflowId } from '../shared/ids';

export interface ImportWorkflowInput {
  installId: string;
  importId: string;
  /** Continue-as-new once the history is this long, before Temporal suggests it (tests); carried along. */
  historyLimit?: number;
  /** Carried across continue-as-new: where the import stands. */
  resume?: {
    progress: ImportProgress;
    cursor: string | null;
    outstandingSeqs: number[];
    nextSeq: number;
    estimateBasis: EstimateBasis | null;
  };
}

const { importPage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 2 s while it runs (withFailureMapping): a worker that dies mid-page is noticed
  // after this, not after the whole start-to-close timeout, while a slow call (30 s client timeout) still completes.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['InstallFailed'] },
});

const { finishImport } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const PHASES: ImportPageKind[] = ['products', 'prices', 'coupons', 'subscriptions', 'charges', 'customers'];

/**
 * Backfills one install (`import:<installId>`): pages through the Stripe catalogue, every subscription, every charge
 * and every customer into the mirror, handing each customer page to the sync workflow. At most IMPORT_MAX_OUTSTANDING_PAGES
 * pages wait in the sync workflow at once (credit-based backpressure: the sync workflow acknowledges written pages).
 */
export async function importWorkflow(input: ImportWorkflowInput): Promise<ImportProgress> {
  const { installId, importId } = input;
  const progress: ImportProgress = input.resume?.progress ?? {
    importId,
    phase: 'products',
    pages: 0,
    customersSeen: 0,
    estimatedTotal: null,
    outstandingPages: 0,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  };
  let cursor = input.resume?.cursor ?? null;
  let nextSeq = input.resume?.nextSeq ?? 0;
  let estimateBasis = input.resume?.estimateBasis ?? null;
  const outstanding = new Set<number>(input.resume?.outstandingSeqs ?? []);
  const syncHandle = getExternalWorkflowHandle(syncWorkflowId(installId));

  setHandler(importProgressQuery, () => ({ ...progress, outstandingPages: outstanding.size }));
  setHandler(importBatchDoneSignal, ({ seq }) => {
    outstanding.delete(seq);
    describe();
  });

  function describe(): void {
    const total = progress.estimatedTotal ? ` of ~${progress.estimatedTotal}` : '';
    setCurrentDetails(
      [
        `**Import** ${importId} for ${installId}: ${progress.phase}`,
        `pages ${progress.pages} · customers ${progress.customersSeen}${total} · waiting on sync ${outstanding.size}`,
      ].join('\n'),
    );
  }

  describe();
  for (const phase of PHASES.slice(Math.max(PHASES.indexOf(progress.phase as ImportPageKind), 0))) {
    if (progress.phase !== phase) {
      progress.phase = phase;
      cursor = null;
    }
    for (;;) {
      const page = await importPage({
        installId,
        importId,
        kind: phase,
        startingAfter: cursor,
        pagesBefore: progress.pages,
        customersBefore: progress.customersSeen,
        estimateBasis,
      });
      progress.pages += 1;
      if (phase === 'customers') {
        estimateBasis = page.estimateBasis;
        progress.customersSeen += page.customerIds.length;
        progress.estimatedTotal = page.hasMore ? page.estimatedTotal : progress.customersSeen;
        const seq = nextSeq++;
        outstanding.add(seq);
        await syncHandle.signal(importBatchSignal, {
          importId,
          seq,
          customerIds: page.customerIds,
          replyTo: workflowInfo().workflowId,
        });
        await condition(() => outstanding.size < IMPORT_MAX_OUTSTANDING_PAGES);
      }
      cursor = page.nextCursor;
      describe();
      if (!page.hasMore) break;
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength >= (input.historyLimit ?? Infinity)) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof importWorkflow>({
          installId,
          importId,
          historyLimit: input.historyLimit,
          resume: { progress, cursor, outstandingSeqs: [...outstanding], nextSeq, estimateBasis },
        });
      }
    }
  }

  progress.phase = 'draining';
  describe();
  await condition(() => outstanding.size === 0);
  const finished = await finishImport({ installId, importId, customersSeen: progress.customersSeen });
  progress.phase = 'done';
  progress.finishedAt = finished.finishedAt;
  describe();
  await condition(allHandlersFinished);
  return progress;
}
