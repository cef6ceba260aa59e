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
/** Customers pages an import is reading or has handed to the sync workflow unwritten: it waits beyond this. */
export const IMPORT_MAX_OUTSTANDING_PAGES = 8;
/** Customers the sync workflow may hold from imports; webhooks coalesce per customer on top of this. */
export const SYNC_QUEUE_BOUND = IMPORT_PAGE_SIZE * IMPORT_MAX_OUTSTANDING_PAGES;
/** Customers per sync activity: amortises Temporal overhead and lets one Intercom search cover 15 emails. */
export const SYNC_BATCH_SIZE = 30;
/** Sync activities running at once per install. */
export const SYNC_MAX_CONCURRENT_BATCHES = 6;
/** Stripe event ids remembered across continue-as-new to drop duplicate deliveries before they cost an activity. */
export const RECENT_EVENT_WINDOW = 2000;
/**
 * How long a sync run lives before it continues as new, however idle: the next run picks up the workflow code deployed
 * meanwhile, so a patch's old branch serves no run older than this (docs/operations.md "Retiring a patch").
 */
export const SYNC_RUN_LIFETIME_MS = 24 * 60 * 60 * 1000;
