import assert from 'node:assert/strict';
import { estimateTotal, restOfSlice, wholeList, type ListSlice } from '../../src/workflows/list-slices';
import { IMPORT_PAGE_SIZE } from '../../src/workflows/constants';

interface Row {
  id: string;
  created: number;
}

/** Stripe's list semantics: newest first, `created[gte]`/`created[lt]` filter, `starting_after` cursor. */
function listPage(rows: Row[], slice: ListSlice): { data: Row[]; hasMore: boolean } {
  const { gte, lt } = slice.created;
  const filtered = rows.filter((row) => (gte === null || row.created >= gte) && (lt === null || row.created < lt));
  const from = slice.cursor === null ? 0 : filtered.findIndex((row) => row.id === slice.cursor) + 1;
  assert.ok(slice.cursor === null || from > 0, `cursor ${slice.cursor} lies inside its slice's range`);
  const data = filtered.slice(from, from + IMPORT_PAGE_SIZE);
  return { data, hasMore: from + IMPORT_PAGE_SIZE < filtered.length };
}

/** Reads every slice to its end, splitting whenever fewer than `parallel` slices exist; returns ids read and calls. */
function readAll(rows: Row[], accountCreated: number, parallel: number) {
  const waiting: ListSlice[] = [wholeList('charges')];
  const read: string[] = [];
  let calls = 0;
  while (waiting.length > 0) {
    const slice = waiting.shift() as ListSlice;
    const page = listPage(rows, slice);
    calls += 1;
    read.push(...page.data.map((row) => row.id));
    const first = page.data[0];
    const last = page.data.at(-1);
    if (page.hasMore && first && last) {
      const bounds = { nextCursor: last.id, newestCreated: first.created, oldestCreated: last.created };
      waiting.push(...restOfSlice(slice, bounds, accountCreated, waiting.length + 1 < parallel));
    }
  }
  return { read, calls };
}

/** Newest first, ties broken by id descending, as a deterministic stand-in for Stripe's order. */
function sortedRows(createdTimes: number[]): Row[] {
  return createdTimes
    .map((created, n) => ({ id: `ch_${String(n).padStart(6, '0')}`, created }))
    .sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
}

describe('billing list slices', () => {
  const accountCreated = 1_600_000_000;

  it('read every object exactly once, however the list is split: skewed growth, ties and objects older than the account', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const times = Array.from({ length: 5_000 }, () => accountCreated + Math.floor(random() ** 4 * 86_400 * 900));
    times.push(...Array.from({ length: 250 }, () => accountCreated + 86_400 * 400)); // one busy second
    times.push(accountCreated - 3_600, accountCreated - 1); // migrated from elsewhere, before the account
    const rows = sortedRows(times);
    const { read, calls } = readAll(rows, accountCreated, 16);
    assert.equal(new Set(read).size, read.length, 'no object read twice');
    assert.deepEqual([...read].sort(), rows.map((row) => row.id).sort());
    // Splitting costs some partial pages, not many: 53 pages' worth of objects.
    assert.ok(calls > 53 && calls <= 53 + 16, `${calls} calls`);
  });

  it('do not split a rest that this page says is short, nor when no read is free', () => {
    const slice = wholeList('subscriptions');
    // 100 objects over 1,000 s, 3,000 s left: about 300 objects, under two pages a half.
    const short = { nextCursor: 'sub_x', newestCreated: accountCreated + 4_000, oldestCreated: accountCreated + 3_000 };
    assert.deepEqual(restOfSlice(slice, short, accountCreated, true), [
      { ...slice, cursor: 'sub_x', readTo: accountCreated + 3_000 },
    ]);
    const long = { ...short, oldestCreated: accountCreated + 3_990, newestCreated: accountCreated + 4_000 };
    assert.equal(restOfSlice(slice, long, accountCreated, false).length, 1);
    const [upper, lower] = restOfSlice(slice, long, accountCreated, true);
    assert.deepEqual(upper, {
      ...slice,
      cursor: 'sub_x',
      readTo: accountCreated + 3_990,
      created: { gte: accountCreated + 1_995, lt: null },
    });
    assert.deepEqual(lower, { ...slice, created: { gte: null, lt: accountCreated + 1_995 } });
  });

  it("estimate the total from the share of the account's lifetime read so far, exact once all is read", () => {
    const span = { accountCreated, newestCreated: accountCreated + 1_000 };
    const upper = {
      ...wholeList('customers'),
      cursor: 'cus_x',
      readTo: accountCreated + 900,
      created: { gte: accountCreated + 500, lt: null },
    };
    const lower = { ...wholeList('customers'), created: { gte: null, lt: accountCreated + 500 } };
    // Read: 900..1,000 (100 s of 1,000) holding 200 customers: about 2,000 in all.
    assert.equal(estimateTotal(200, [upper, lower], span), 2_000);
    assert.equal(estimateTotal(200, [], span), 200);
    assert.equal(estimateTotal(0, [wholeList('customers')], { accountCreated, newestCreated: null }), null);
  });
});
