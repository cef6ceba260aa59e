import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { rereadCustomers } from '../../src/activities/stripe-reread';
import { getCustomers } from '../../src/db/mirror';
import { asLiveWork } from '../../src/shared/live-work';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { customer } from '../unit/fixtures/stripe';

/** The three reads rereadCustomers makes, each answered after `latencyMs`, recording what was in flight. */
function slowStripe(options: { latencyMs: number; deleted?: boolean }) {
  const calls = { retrievesInFlight: 0, maxRetrievesInFlight: 0, listsStartedBeforeTheirCustomer: 0, lists: 0 };
  const answered = new Set<string>();
  const emptyList = { object: 'list', data: [], has_more: false, url: '' };
  const list = async (params: { customer: string }) => {
    calls.lists += 1;
    if (!answered.has(params.customer)) calls.listsStartedBeforeTheirCustomer += 1;
    await sleep(options.latencyMs);
    // What Stripe might answer for a customer that is gone: the reader must not fail on it.
    if (options.deleted) throw Object.assign(new Error('No such customer'), { code: 'resource_missing' });
    return emptyList;
  };
  const stripe = {
    customers: {
      retrieve: async (id: string) => {
        calls.retrievesInFlight += 1;
        calls.maxRetrievesInFlight = Math.max(calls.maxRetrievesInFlight, calls.retrievesInFlight);
        await sleep(options.latencyMs);
        calls.retrievesInFlight -= 1;
        answered.add(id);
        return options.deleted
          ? { id, object: 'customer', deleted: true }
          : customer({ id, email: `${id}@example.com` });
      },
    },
    subscriptions: { list },
    charges: { list },
  } as unknown as Stripe;
  return { stripe, calls };
}

describe('re-reading customers from Stripe', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  const customerIds = (count: number) => Array.from({ length: count }, (_, n) => `cus_reread${n}`);

  it("sends a customer's lists with its own read, not after it, and mirrors what they bring", async () => {
    const installId = (await insertTestInstall(db.pool)).id;
    const { stripe, calls } = slowStripe({ latencyMs: 20 });
    const ids = customerIds(3);
    const progress: string[] = [];
    await rereadCustomers(stripe, db.pool, installId, ids, (id) => progress.push(id));
    assert.equal(calls.lists, 6);
    assert.equal(calls.listsStartedBeforeTheirCustomer, 6, 'both lists sent before the customer was answered');
    assert.deepEqual(progress.sort(), ids);
    const mirrored = await getCustomers(db.pool, installId, ids);
    assert.deepEqual(
      mirrored.map((row) => row.emailNormalized).sort(),
      ids.map((id) => `${id}@example.com`),
    );
  });

  it('ignores the lists of a customer that is gone, even when they fail', async () => {
    const installId = (await insertTestInstall(db.pool)).id;
    const { stripe } = slowStripe({ latencyMs: 5, deleted: true });
    await rereadCustomers(stripe, db.pool, installId, ['cus_gone'], () => undefined);
    const [gone] = await getCustomers(db.pool, installId, ['cus_gone']);
    assert.equal(gone?.deleted, true);
  });

  it('reads a live batch’s customers all at once, an import’s eight at a time', async () => {
    const installId = (await insertTestInstall(db.pool)).id;
    const importRead = slowStripe({ latencyMs: 20 });
    await rereadCustomers(importRead.stripe, db.pool, installId, customerIds(12), () => undefined);
    assert.equal(importRead.calls.maxRetrievesInFlight, 8);
    const liveRead = slowStripe({ latencyMs: 20 });
    await asLiveWork(() => rereadCustomers(liveRead.stripe, db.pool, installId, customerIds(12), () => undefined));
    assert.equal(liveRead.calls.maxRetrievesInFlight, 12);
  });
});
