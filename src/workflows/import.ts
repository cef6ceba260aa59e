import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ImportPageResult } from '../activities/import-page';
import { BILLING_LISTS, type ImportPageKind } from '../shared/billing-lists';
import { importBatchDoneSignal, importBatchSignal, importProgressQuery, type ImportProgress } from '../shared/messages';
import { IMPORT_MAX_OUTSTANDING_PAGES, IMPORT_PARALLEL_READS, IMPORT_PARALLEL_READS_PER_LIST } from './constants';
import { estimateTotal, restAfterPage, wholeList, type ListSlice } from './list-slices';
import { syncWorkflowId } from '../shared/ids';
import { patchBundle } from './patches';

export interface ImportWorkflowInput {
  installId: string;
  importId: string;
  /** Continue-as-new once the history is this long, before Temporal suggests it (tests); carried along. */
  historyLimit?: number;
  /** Carried across continue-as-new: where the import stands. */
  resume?: {
    progress: ImportProgress;
    /** The parts of the current phase's lists still to read. */
    slices: ListSlice[];
    outstandingSeqs: number[];
    nextSeq: number;
    span: AccountSpan;
    /** The customers list's first page, read with the billing lists' and held until they are read (CUSTOMERS_FIRST_PAGE_PATCH). */
    customersFirstPage?: ImportPageResult | null;
  };
}

/** What list splits and the customer estimate rest on (see list-slices). */
interface AccountSpan {
  accountCreated: number;
  /** `created` of the newest customer, from the first customers page. */
  newestCreated: number | null;
}

/** Pages being read (or read and waiting) over all lists, and of the list at hand. */
interface Busy {
  all: number;
  ofKind: number;
}

/** Whether one more page of a list may be read; a slice's rest is also cut in two only while this holds. */
type MayRead = (busy: Busy) => boolean;

/**
 * Billing lists are read up to IMPORT_PARALLEL_READS_PER_LIST pages per list at once. Runs started before read
 * IMPORT_PARALLEL_READS pages at once over all lists.
 */
const READS_PER_LIST_PATCH = 'import-parallel-reads-per-list';

/**
 * Imports read the account's creation time and the first page of every billing list in one activity. Runs started
 * before read the account first, then each first page in an activity of its own (36 history events where it takes 6,
 * and a Stripe round trip more before the lists start): 28 of the 64 events of a one-customer account's import.
 */
const FIRST_PAGES_PATCH = 'import-first-pages-in-one-activity';

/**
 * The customers list's first page is read with the billing lists' first pages (its own endpoint budget at Stripe) and
 * handed to the sync workflow once the billing lists are read. Most installs are small accounts whose lists all fit in
 * their first page: they are read in one activity, where the customers page took an activity and a Stripe round trip
 * more after it. Runs started before read the customers list from its first page once the billing lists were read.
 */
const CUSTOMERS_FIRST_PAGE_PATCH = 'import-customers-first-page-with-billing';

/**
 * The import's last step (the import marked done, the install live: two UPDATEs) runs as a local activity in the
 * workflow task that took the last page's acknowledgement, and the run completes in that task: as an activity it cost
 * a task in matching and a workflow task more (5 history events). Nothing else of the run is in flight by then, so the
 * local activity cannot resolve in another order on replay. Runs started before ran it as an activity.
 */
const LOCAL_FINISH_PATCH = 'import-finishes-in-a-local-activity';

/** Every patch above, recorded as one marker by the runs started since (patchBundle). */
const importPatched = patchBundle('import-patches-2026-12', [
  READS_PER_LIST_PATCH,
  FIRST_PAGES_PATCH,
  CUSTOMERS_FIRST_PAGE_PATCH,
  LOCAL_FINISH_PATCH,
]);

const { importPage, importFirstPages, readAccountCreated } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 2 s while it runs (withFailureMapping): a worker that dies mid-page is noticed
  // after this, not after the whole start-to-close timeout, while a slow call (30 s client timeout) still completes.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['InstallFailed'] },
});

const finishRetry = { initialInterval: '1 second', maximumInterval: '30 seconds' };
const { finishImport } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: finishRetry });
const { finishImport: finishImportLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: finishRetry,
});

/**
 * Backfills one install (`import:<installId>`). First the billing lists (catalogue, every subscription, every charge)
 * are read into the mirror, then the customers, each customers page handed to the sync workflow as soon as it is read.
 * Pages are read in parallel: each list is split by creation time while it is read (list-slices), so that pages
 * taking 400 ms each do not add up to minutes. At most IMPORT_MAX_OUTSTANDING_PAGES customers pages are being read or
 * wait in the sync workflow at once (credit-based backpressure: the sync workflow acknowledges written pages).
 */
export async function importWorkflow(input: ImportWorkflowInput): Promise<ImportProgress> {
  const { installId, importId } = input;
  const progress: ImportProgress = input.resume?.progress ?? {
    importId,
    phase: 'billing',
    pages: 0,
    customersSeen: 0,
    estimatedTotal: null,
    outstandingPages: 0,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  };
  let nextSeq = input.resume?.nextSeq ?? 0;
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

  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= (input.historyLimit ?? Infinity);

  // Each list has its own endpoint budget at Stripe, so each gets its own reads (READS_PER_LIST_PATCH).
  const mayReadBilling = (): MayRead =>
    importPatched(READS_PER_LIST_PATCH)
      ? (busy) => busy.ofKind < IMPORT_PARALLEL_READS_PER_LIST
      : (busy) => busy.all < IMPORT_PARALLEL_READS;

  describe();
  const start = input.resume ?? (await startBilling());
  const span = start.span;
  let slices = start.slices;
  let customersFirstPage = start.customersFirstPage ?? null;
  const mayReadCustomers: MayRead = (busy) => busy.all + outstanding.size < IMPORT_MAX_OUTSTANDING_PAGES;

  async function handOver(): Promise<never> {
    await condition(allHandlersFinished);
    return continueAsNew<typeof importWorkflow>({
      installId,
      importId,
      historyLimit: input.historyLimit,
      resume: { progress, slices, outstandingSeqs: [...outstanding], nextSeq, span, customersFirstPage },
    });
  }

  if (progress.phase === 'billing') {
    slices = await readSlices(slices, mayReadBilling(), async () => undefined);
    if (slices.length > 0) await handOver();
    progress.phase = 'customers';
    slices = customersFirstPage ? await handOverFirstCustomersPage(customersFirstPage) : [wholeList('customers')];
    customersFirstPage = null;
  }

  if (progress.phase === 'customers') {
    slices = await readSlices(slices, mayReadCustomers, handToSync);
    if (slices.length > 0) await handOver();
  }

  progress.phase = 'draining';
  describe();
  await condition(() => outstanding.size === 0);
  const finish = importPatched(LOCAL_FINISH_PATCH) ? finishImportLocally : finishImport;
  const finished = await finish({ installId, importId, customersSeen: progress.customersSeen });
  progress.phase = 'done';
  progress.finishedAt = finished.finishedAt;
  describe();
  await condition(allHandlersFinished);
  return progress;

  /** Hands a customers page to the sync workflow, to be acknowledged once written. `unread`: slices left to read. */
  async function handToSync(page: ImportPageResult, unread: ListSlice[]): Promise<void> {
    span.newestCreated ??= page.newestCreated;
    progress.customersSeen += page.customerIds.length;
    progress.estimatedTotal = estimateTotal(progress.customersSeen, unread, span);
    const seq = nextSeq++;
    outstanding.add(seq);
    await syncHandle.signal(importBatchSignal, {
      importId,
      seq,
      customerIds: page.customerIds,
      replyTo: workflowInfo().workflowId,
    });
  }

  /** The customers list's first page, read ahead (CUSTOMERS_FIRST_PAGE_PATCH), to the sync workflow; the list's rest. */
  async function handOverFirstCustomersPage(page: ImportPageResult): Promise<ListSlice[]> {
    const rest = restAfterPage(
      wholeList('customers'),
      page,
      span.accountCreated,
      mayReadCustomers({ all: 0, ofKind: 0 }),
    );
    await handToSync(page, rest);
    describe();
    return rest;
  }

  /**
   * The account's span and the billing lists' slices to read, from the first page of each (FIRST_PAGES_PATCH), and
   * the customers list's first page when it is read with them (CUSTOMERS_FIRST_PAGE_PATCH).
   */
  async function startBilling(): Promise<{
    span: AccountSpan;
    slices: ListSlice[];
    customersFirstPage?: ImportPageResult;
  }> {
    if (!importPatched(FIRST_PAGES_PATCH)) {
      return {
        span: { accountCreated: await readAccountCreated({ installId }), newestCreated: null },
        slices: BILLING_LISTS.map(wholeList),
      };
    }
    const withCustomers = importPatched(CUSTOMERS_FIRST_PAGE_PATCH);
    const first = await importFirstPages({
      installId,
      importId,
      kinds: withCustomers ? [...BILLING_LISTS, 'customers'] : BILLING_LISTS,
    });
    const mayRead = mayReadBilling();
    const rest: ListSlice[] = [];
    BILLING_LISTS.forEach((kind, index) => {
      progress.pages += 1;
      const page = first.pages[index] as ImportPageResult;
      rest.push(
        ...restAfterPage(wholeList(kind), page, first.accountCreated, mayRead({ all: rest.length, ofKind: 0 })),
      );
    });
    const customersFirstPage = withCustomers ? first.pages[BILLING_LISTS.length] : undefined;
    if (customersFirstPage) progress.pages += 1;
    describe();
    return {
      span: { accountCreated: first.accountCreated, newestCreated: null },
      slices: rest,
      ...(customersFirstPage && { customersFirstPage }),
    };
  }

  /**
   * Reads the slices, a page of each at once while `mayRead` allows one more of its list; returns what is left when
   * the history is full (empty when all is read). A slice with more to read is cut in two while a read is free,
   * so the parallelism follows the data wherever it is dense; the Stripe pacer keeps the calls within the account's
   * limits. `onPage` runs for each page read, with the slices not yet read to their end.
   */
  async function readSlices(
    start: ListSlice[],
    mayRead: MayRead,
    onPage: (page: ImportPageResult, unread: ListSlice[]) => Promise<void>,
  ): Promise<ListSlice[]> {
    const waiting = [...start];
    const reading = new Set<ListSlice>();
    let failure: unknown = null;
    /** Slices being read (and, with `andWaiting`, waiting) over all lists and of `kind`. */
    const busy = (kind: ImportPageKind, andWaiting = false): Busy => {
      const slices = andWaiting ? [...reading, ...waiting] : [...reading];
      return { all: slices.length, ofKind: slices.filter((slice) => slice.kind === kind).length };
    };
    const nextReadable = () => waiting.findIndex((slice) => mayRead(busy(slice.kind)));
    async function read(slice: ListSlice): Promise<void> {
      try {
        const page = await importPage({
          installId,
          importId,
          kind: slice.kind,
          startingAfter: slice.cursor,
          created: slice.created,
          ...(slice.kind === 'customers' && {
            progress: {
              pagesBefore: progress.pages,
              customersBefore: progress.customersSeen,
              estimatedTotal: progress.estimatedTotal,
            },
          }),
        });
        progress.pages += 1;
        waiting.push(...restAfterPage(slice, page, span.accountCreated, mayRead(busy(slice.kind, true))));
        // The slice stays `reading` until onPage is done: a hand-over (continue-as-new) waits for it, so a customers
        // page counted as outstanding has always reached the sync workflow.
        await onPage(page, [...waiting, ...[...reading].filter((other) => other !== slice)]);
        describe();
      } catch (err) {
        failure ??= err;
      } finally {
        reading.delete(slice);
      }
    }
    while (waiting.length > 0 && !historyFull() && failure === null) {
      await condition(() => nextReadable() >= 0);
      const [slice] = waiting.splice(nextReadable(), 1) as [ListSlice];
      reading.add(slice);
      void read(slice);
      await condition(() => waiting.length > 0 || reading.size === 0 || failure !== null);
    }
    await condition(() => reading.size === 0);
    if (failure !== null) throw failure;
    return waiting;
  }
}
