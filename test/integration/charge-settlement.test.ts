import assert from 'node:assert/strict';
import fc from 'fast-check';
import type Stripe from 'stripe';
import { BatchEvents } from '../../src/activities/batch-events';
import { settleChargeOnlyCustomers } from '../../src/activities/charge-events';
import { recordEvent } from '../../src/db/events';
import { upsertCustomers } from '../../src/db/mirror';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { charge, customer, event } from '../unit/fixtures/stripe';

/** Each charge's events in the order Stripe sends them: pending, succeeded, refunded in part, refunded in full. */
function lifecycle(id: string, created: number): Stripe.Event[] {
  const base = { id, customer: 'cus_1', amount: 5000, created };
  const states: [Stripe.Event['type'], Partial<Stripe.Charge>][] = [
    ['charge.pending', { status: 'pending', captured: false, amount_captured: 0 }],
    ['charge.succeeded', { status: 'succeeded' }],
    ['charge.refunded', { status: 'succeeded', amount_refunded: 2000 }],
    ['charge.refunded', { status: 'succeeded', amount_refunded: 5000, refunded: true }],
  ];
  return states.map(([type, state], step) => ({
    ...event(type, charge({ ...base, ...state })),
    id: `evt_${id}_${step}`,
    created: created + step,
  }));
}

const allEvents = [...lifecycle('ch_older', 1_700_000_000), ...lifecycle('ch_newer', 1_700_000_100)];

/**
 * Charge-only customers are settled from their events' payloads, without reading Stripe (settleChargeOnlyCustomers):
 * whatever order the events arrive in, duplicated or split across batches, the mirror ends as when they came in
 * Stripe's order.
 */
describe('charge settlement (properties, in PostgreSQL)', function () {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  /** Delivers the events batch by batch (each batch one syncCustomers' settlement); returns the mirror's charges. */
  async function settle(batches: Stripe.Event[][]) {
    const { id: installId } = await insertTestInstall(db.pool);
    const observedAt = new Date(Date.UTC(2026, 0, 1));
    const mirrored = customer({ id: 'cus_1' });
    await upsertCustomers(db.pool, installId, [
      { customerId: 'cus_1', emailNormalized: null, deleted: false, customer: mirrored, observedAt },
    ]);
    for (const batch of batches) {
      for (const stripeEvent of batch)
        await recordEvent(db.pool, installId, stripeEvent, { customerId: 'cus_1', refresh: false }, 'webhook');
      const eventIds = batch.map((stripeEvent) => stripeEvent.id);
      const item = { customerId: 'cus_1', refresh: true, eventIds, batchKeys: [] };
      const settled = await settleChargeOnlyCustomers(
        db.pool,
        installId,
        [item],
        new BatchEvents(db.pool, installId, [item]),
      );
      assert.ok(settled.has('cus_1'), 'settled from its events');
    }
    const charges = await db.pool.query(
      `SELECT charge_id, status, amount_captured, amount_refunded FROM stripe_charges
       WHERE install_id = $1 ORDER BY charge_id`,
      [installId],
    );
    const latest = await db.pool.query(`SELECT latest_charge FROM stripe_customers WHERE install_id = $1`, [installId]);
    return { charges: charges.rows, latest: latest.rows[0] as unknown };
  }

  it("any order, duplicates and batches give the mirror Stripe's order gives", async () => {
    const inOrder = await settle([allEvents]);
    assert.equal((inOrder.latest as { latest_charge: { id: string } }).latest_charge.id, 'ch_newer');
    const deliveries = fc
      .tuple(fc.shuffledSubarray(allEvents, { minLength: allEvents.length }), fc.array(fc.nat(allEvents.length - 1)))
      .map(([order, duplicates]) => [...order, ...duplicates.map((index) => allEvents[index] as Stripe.Event)]);
    await fc.assert(
      fc.asyncProperty(
        deliveries,
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 }),
        async (delivered, sizes) => {
          const batches: Stripe.Event[][] = [];
          for (let start = 0, index = 0; start < delivered.length; index += 1) {
            const size = sizes[index % sizes.length] as number;
            batches.push(delivered.slice(start, start + size));
            start += size;
          }
          assert.deepEqual(await settle(batches), inOrder);
        },
      ),
      { numRuns: 20 },
    );
  });
});
