import type { CreatedRange, ImportPageKind } from '../shared/billing-lists';
import { IMPORT_PAGE_SIZE, MIN_PAGES_PER_HALF } from './constants';

/** Part of one Stripe list still to read: the objects created in `created`, after `cursor`. */
export interface ListSlice {
  kind: ImportPageKind;
  created: CreatedRange;
  cursor: string | null;
  /** `created` of the cursor's object: nothing left to read in the slice is newer. Null before the first page. */
  readTo: number | null;
}

/** What a page read tells about the rest of its slice. */
export interface PageBounds {
  nextCursor: string;
  /** `created` of the page's first (newest) and last (oldest) object. */
  newestCreated: number;
  oldestCreated: number;
}

export function wholeList(kind: ImportPageKind): ListSlice {
  return { kind, created: { gte: null, lt: null }, cursor: null, readTo: null };
}

/** What a page read tells of its slice's rest: none when it was the last page, else restOfSlice's. */
export function restAfterPage(
  slice: ListSlice,
  page: { hasMore: boolean; nextCursor: string | null; newestCreated: number | null; oldestCreated: number | null },
  accountCreated: number,
  canSplit: boolean,
): ListSlice[] {
  const { nextCursor, newestCreated, oldestCreated } = page;
  if (!page.hasMore || nextCursor === null || newestCreated === null || oldestCreated === null) return [];
  return restOfSlice(slice, { nextCursor, newestCreated, oldestCreated }, accountCreated, canSplit);
}

/**
 * The rest of a slice after one of its pages, as one slice or, when `canSplit` and the rest looks big enough, two
 * that cover it exactly: the objects after the cursor are those created at or before the page's oldest, so
 * `[mid, lt)` from the cursor and `[gte, mid)` from the start hold each of them once. Lists are newest first.
 *
 * A split costs one more partial page (a Stripe call), so it is made only when each half should hold at least
 * MIN_PAGES_PER_HALF pages, judged from this page's density. `accountCreated` stands in for an open lower bound
 * (nothing is older than the account); the lower half keeps the open bound, so an object that is older anyway is
 * still read.
 */
export function restOfSlice(
  slice: ListSlice,
  page: PageBounds,
  accountCreated: number,
  canSplit: boolean,
): ListSlice[] {
  const oldest = page.oldestCreated;
  const rest: ListSlice = { ...slice, cursor: page.nextCursor, readTo: oldest };
  const low = Math.min(slice.created.gte ?? accountCreated, oldest);
  const perSecond = IMPORT_PAGE_SIZE / Math.max(page.newestCreated - oldest, 1);
  if (!canSplit || oldest - low < 2 || perSecond * (oldest - low) < 2 * MIN_PAGES_PER_HALF * IMPORT_PAGE_SIZE) {
    return [rest];
  }
  const mid = Math.floor((low + oldest + 1) / 2);
  return [
    { ...rest, created: { gte: mid, lt: slice.created.lt } },
    { kind: slice.kind, created: { gte: slice.created.gte, lt: mid }, cursor: null, readTo: null },
  ];
}

/**
 * Stripe lists have no total, so the customer count is estimated from time: customers were created between the
 * account's creation and the newest customer, and the share of that span already read estimates the share of
 * customers seen. `unread`: the slices not read to their end.
 */
export function estimateTotal(
  seen: number,
  unread: ListSlice[],
  span: { accountCreated: number; newestCreated: number | null },
): number | null {
  const { accountCreated, newestCreated } = span;
  if (unread.length === 0) return seen;
  if (newestCreated === null || newestCreated <= accountCreated) return null;
  const left = unread.reduce((sum, slice) => {
    const top = slice.readTo ?? slice.created.lt ?? newestCreated;
    return sum + Math.max(0, top - Math.max(slice.created.gte ?? accountCreated, accountCreated));
  }, 0);
  const covered = 1 - left / (newestCreated - accountCreated);
  if (covered <= 0) return null;
  return Math.max(seen, Math.round(seen / Math.min(covered, 1)));
}
