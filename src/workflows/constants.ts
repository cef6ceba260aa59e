/**
 * Constants that shape the commands workflows schedule (how many pages or batches at once, how lists are cut, which
 * event ids are remembered). Workflow histories recorded under one value replay only under that value: changing one
 * is a change to what the workflow does, so it goes behind a NEW `patched()` id (keep the old value for runs that lack
 * the marker) and must replay every history in test/histories/ (`npm test`). Activity-side tuning (concurrency inside
 * an activity, timeouts of calls) lives with the activities; workflows cannot import it (eslint.config.mjs).
 */

/** Stripe's maximum list page; one import page is one Stripe call. */
export const IMPORT_PAGE_SIZE = 100;
/**
 * Pages of one billing list read at once by an import: Stripe allows 25 requests/s per endpoint (the pacer: 22) and a
 * page's activity takes about 0.5 s at 400 ms a call, so 12 keep an endpoint busy; the lists run side by side, each on
 * its own endpoint, within the account's 100/s.
 */
export const IMPORT_PARALLEL_READS_PER_LIST = 12;
/** Before IMPORT_PARALLEL_READS_PER_LIST: pages read at once over all billing lists (runs that started then). */
export const IMPORT_PARALLEL_READS = 16;
/** Below this many pages in each half, an import's list slice is not split: a split adds a partial page. */
export const MIN_PAGES_PER_HALF = 4;
/** Customers pages an import is reading or has handed to the sync workflow unwritten: it waits beyond this. */
export const IMPORT_MAX_OUTSTANDING_PAGES = 8;
/** Customers the sync workflow may hold from imports; webhooks coalesce per customer on top of this. */
export const SYNC_QUEUE_BOUND = IMPORT_PAGE_SIZE * IMPORT_MAX_OUTSTANDING_PAGES;
/** Customers per sync activity: amortises Temporal overhead and lets one Intercom search cover 15 emails. */
export const SYNC_BATCH_SIZE = 30;
/** Sync activities running at once per install. */
export const SYNC_MAX_CONCURRENT_BATCHES = 6;
/** Batches of live changes that may run beyond SYNC_MAX_CONCURRENT_BATCHES while the import fills them (sync.ts). */
export const SYNC_LIVE_BATCHES_BEYOND_SLOTS = 3;
/** Stripe event ids remembered across continue-as-new to drop duplicate deliveries before they cost an activity. */
export const RECENT_EVENT_WINDOW = 2000;
/**
 * How long a sync run lives before it continues as new, however idle: the next run picks up the workflow code deployed
 * meanwhile, so a patch's old branch serves no run older than this (docs/operations.md "Retiring a patch").
 */
export const SYNC_RUN_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Safety net for deliveries that never arrive (Stripe retries 3 days); each run costs ≥2 Stripe list calls. */
export const CATCH_UP_EVERY_MS = 6 * 60 * 60 * 1000;
/**
 * History events after which a run continues as new, well before Temporal's suggestion at 4,096. A signal arriving
 * while the run completes with continue-as-new fails that workflow task (https://github.com/temporalio/temporal/issues/1289),
 * and the worker then replays the run from its first event (sdk-core evicts on an unhandled command:
 * https://github.com/temporalio/sdk-rust/pull/212). Replay costs about 0.7 ms an event on a 2-core machine, because
 * the SDK records a stack trace for every workflow promise: a 4,096-event run held the install's webhooks for 3 s under
 * a steady 50 events/s (scripts/bench-live.ts), a run of this length for well under one.
 */
export const RUN_HISTORY_EVENTS = 1_000;
/**
 * Pending events a sync run re-reads per activity after a bounded hand-over (the events stay in PostgreSQL, not in the
 * continue-as-new input): about 90 bytes a ref, so a page's result stays near 180 KB, under Temporal's 512 KB warning.
 */
export const PENDING_EVENTS_PAGE = 2_000;
/**
 * Customers a live batch may hold to be written as a local activity (LOCAL_LIVE_BATCH_PATCH): one change or two, the
 * common case of an idle install. Larger batches are worth an activity's retries and parallel slots.
 */
export const LOCAL_LIVE_BATCH_MAX_CUSTOMERS = 2;
/**
 * How long a local batch may take, waiting for a slot included, before it is left to an activity. Well under the 8 s
 * after which the SDK heartbeats a workflow task that waits on a local activity (80 % of the default 10 s task
 * timeout): a local batch then always resolves within the task that scheduled it, where replay puts its result too.
 */
export const LOCAL_LIVE_BATCH_TIMEOUT_MS = 4_000;
/**
 * How long an install must have had no change before the one a local batch would write (QUIET_LOCAL_BATCHES_PATCH):
 * above the 1–2.6 s a local batch took on a machine busy importing, so that the next change of an install that gets
 * them every few seconds does not arrive while one runs. At a change every 10 s, about a quarter of changes go to an
 * activity instead.
 */
export const LOCAL_LIVE_BATCH_QUIET_MS = 3_000;
