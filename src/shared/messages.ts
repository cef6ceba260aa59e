import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A recorded Stripe event, by reference: its body stays in Postgres to keep workflow history small. */
export interface StripeEventRef {
  eventId: string;
  customerId: string;
  /** The event can change the customer's attributes, so the customer is re-read from Stripe. */
  refresh: boolean;
  /** Handed over again on purpose (reconcile --fix found its data event missing): not dropped as a repeat. */
  redeliver?: boolean;
}

export interface ImportBatch {
  importId: string;
  /** Page sequence number within the import, acknowledged back once every customer of the page is written. */
  seq: number;
  customerIds: string[];
  /** Workflow id of the import to acknowledge. */
  replyTo: string;
}

export interface SyncCounters {
  created: number;
  matched: number;
  updated: number;
  unchanged: number;
  skippedNoEmail: number;
  failed: number;
  deleted: number;
  eventsSent: number;
  refreshed: number;
}

export interface SyncStatus {
  installId: string;
  disabled: boolean;
  queueDepth: number;
  maxQueueDepth: number;
  queueBound: number;
  inFlightCustomers: number;
  counters: SyncCounters;
  lastError: string | null;
}

export interface ImportProgress {
  importId: string;
  /** `billing`: products, prices, coupons, subscriptions and charges, read in parallel before any customer. */
  phase: 'billing' | 'customers' | 'draining' | 'done';
  pages: number;
  customersSeen: number;
  estimatedTotal: number | null;
  outstandingPages: number;
  startedAt: string;
  finishedAt: string | null;
}

export const stripeEventsSignal = defineSignal<[StripeEventRef[]]>('stripeEvents');
export const importBatchSignal = defineSignal<[ImportBatch]>('importBatch');
export const importBatchDoneSignal = defineSignal<[{ seq: number }]>('importBatchDone');
/** Stops all writing for the install; queued work is dropped. */
export const disableSignal = defineSignal('disable');

export const syncStatusQuery = defineQuery<SyncStatus>('syncStatus');
export const importProgressQuery = defineQuery<ImportProgress>('importProgress');

/**
 * One customer's pending write in the sync workflow's queue (src/workflows/work-queue.ts), handed to the activities that
 * write it. `refresh`: re-read the customer from Stripe first.
 */
export interface WorkItem {
  customerId: string;
  refresh: boolean;
  /** Stripe event ids to turn into Intercom data events, in arrival order. */
  eventIds: string[];
  /** Import pages waiting for this customer (`<replyTo>#<seq>`). */
  batchKeys: string[];
}

/** Whether a customer has a Stripe event of its own to write: a live change someone waits for, not one an import brought. */
export const isLiveChange = (item: WorkItem): boolean => item.eventIds.length > 0;
