import type { CreatedRange, ImportPageKind } from '../shared/billing-lists';
import { IMPORT_PAGE_SIZE } from '../shared/limits';

/** Below this, a split would add a partial page for little parallelism. */
const MIN_PAGES_PER_PART = 4;

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

/**
 * The rest of a slice after one of its pages, as one slice or, up to `maxParts`, several that cover it exactly: the
 * objects after the cursor are those created at or before the page's oldest, so `[cut, lt)` from the cursor and the
 * ranges below `cut` from their start hold each of them once. Lists are newest first.
 *
 * Each part beyond the first costs one more partial page (a Stripe call), so there are only as many as give each
 * MIN_PAGES_PER_PART pages, judged from this page's density; cutting into all of them at once (rather than halving at
 * each page) puts every free read to work after the first page. `accountCreated` stands in for an open lower bound
 * (nothing is older than the account); the lowest part keeps the open bound, so an object that is older anyway is
 * still read.
 */
export function restOfSlice(slice: ListSlice, page: PageBounds, accountCreated: number, maxParts: number): ListSlice[] {
  const oldest = page.oldestCreated;
  const rest: ListSlice = { ...slice, cursor: page.nextCursor, readTo: oldest };
  const low = Math.min(slice.created.gte ?? accountCreated, oldest);
  const perSecond = IMPORT_PAGE_SIZE / Math.max(page.newestCreated - oldest, 1);
  const pagesLeft = (perSecond * (oldest - low)) / IMPORT_PAGE_SIZE;
  const parts = Math.min(maxParts, Math.floor(pagesLeft / MIN_PAGES_PER_PART), oldest - low);
  if (parts < 2) return [rest];
  // Strictly increasing, above `low` and at most `oldest` (parts <= oldest - low): every part is a real range.
  const cuts = Array.from({ length: parts - 1 }, (_, index) =>
    Math.floor(low + ((oldest + 1 - low) * (index + 1)) / parts),
  );
  const bounds = [slice.created.gte, ...cuts];
  const below = cuts.map((cut, index): ListSlice => ({
    kind: slice.kind,
    created: { gte: bounds[index] ?? null, lt: cut },
    cursor: null,
    readTo: null,
  }));
  return [{ ...rest, created: { gte: cuts.at(-1) ?? null, lt: slice.created.lt } }, ...below.reverse()];
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
