/** Stripe's maximum list page; one import page is one Stripe call. */
export const IMPORT_PAGE_SIZE = 100;
/**
 * Billing-list pages read at once by an import: enough to keep Stripe's per-endpoint limit busy at 400 ms a page; the
 * Stripe pacer keeps them within the limits.
 */
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
