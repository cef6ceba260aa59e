import assert from 'node:assert/strict';
import fc from 'fast-check';
import type Stripe from 'stripe';
import {
  getCustomers,
  upsertCharges,
  upsertCustomers,
  upsertLatestCharges,
  upsertSubscriptions,
} from '../../src/db/mirror';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { charge, customer, subscription } from '../unit/fixtures/stripe';

/**
 * The mirror's convergence rules live in SQL ("newer wins" upserts): whatever order the same Stripe object's versions
 * arrive in (import pages, webhook refreshes, event payloads), the row ends the same.
 */
describe('mirror upserts (properties, in PostgreSQL)', function () {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  const newInstall = async (): Promise<string> => (await insertTestInstall(db.pool)).id;

  /** Versions of one object, observed at distinct times, and an order they arrive in. */
  const versionsInAnyOrder = fc
    .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 6 })
    .chain((times) => fc.tuple(fc.constant(times), fc.shuffledSubarray(times, { minLength: times.length })));
  const at = (second: number) => new Date(Date.UTC(2026, 0, 1) + second * 1000);

  it('customers: the latest observation wins, whatever order they are written in', async () => {
    await fc.assert(
      fc.asyncProperty(versionsInAnyOrder, async ([times, order]) => {
        const installId = await newInstall();
        for (const time of order) {
          const name = `version ${time}`;
          await upsertCustomers(db.pool, installId, [
            {
              customerId: 'cus_1',
              emailNormalized: `v${time}@example.com`,
              deleted: false,
              customer: customer({ id: 'cus_1', name, email: `v${time}@example.com` }),
              observedAt: at(time),
            },
          ]);
        }
        const newest = Math.max(...times);
        const [row] = await getCustomers(db.pool, installId, ['cus_1']);
        assert.equal((row?.customer as Stripe.Customer).name, `version ${newest}`);
        assert.equal(row?.emailNormalized, `v${newest}@example.com`);
      }),
      { numRuns: 25 },
    );
  });

  it('subscriptions: the latest observation wins, whatever order they are written in', async () => {
    await fc.assert(
      fc.asyncProperty(versionsInAnyOrder, async ([times, order]) => {
        const installId = await newInstall();
        await upsertCustomers(db.pool, installId, [
          {
            customerId: 'cus_1',
            emailNormalized: null,
            deleted: false,
            customer: customer({ id: 'cus_1' }),
            observedAt: at(0),
          },
        ]);
        for (const time of order) {
          const version = subscription({ id: 'sub_1', customer: 'cus_1', metadata: { version: String(time) } });
          await upsertSubscriptions(db.pool, installId, [version], at(time));
        }
        const [row] = await getCustomers(db.pool, installId, ['cus_1']);
        assert.equal(row?.subscriptions.length, 1);
        assert.equal(row?.subscriptions[0]?.metadata.version, String(Math.max(...times)));
      }),
      { numRuns: 25 },
    );
  });

  it('charges from event payloads (monotonic): any order ends at the furthest state', async () => {
    // A charge's states in Stripe's order: pending, then succeeded, then refunded in part, then in full.
    const states = [
      { status: 'pending', captured: false, amount_captured: 0, amount_refunded: 0, refunded: false },
      { status: 'succeeded', captured: true, amount_captured: 5000, amount_refunded: 0, refunded: false },
      { status: 'succeeded', captured: true, amount_captured: 5000, amount_refunded: 2000, refunded: false },
      { status: 'succeeded', captured: true, amount_captured: 5000, amount_refunded: 5000, refunded: true },
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 1 }),
        fc.integer({ min: 0, max: 100 }),
        async (order, start) => {
          const installId = await newInstall();
          for (const [step, index] of order.entries()) {
            const version = charge({ id: 'ch_1', customer: 'cus_1', amount: 5000, ...states[index] });
            await upsertCharges(db.pool, installId, [version], at(start + step), { monotonic: true });
          }
          const furthest = states[Math.max(...order)] as (typeof states)[number];
          const { rows } = await db.pool.query<{ status: string; amount_captured: string; amount_refunded: string }>(
            `SELECT status, amount_captured, amount_refunded FROM stripe_charges WHERE install_id = $1`,
            [installId],
          );
          assert.deepEqual(rows, [
            {
              status: Math.max(...order) === 0 ? 'pending' : 'succeeded',
              amount_captured: String(furthest.amount_captured),
              amount_refunded: String(furthest.amount_refunded),
            },
          ]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("latest charge: the newest charge wins, whatever order the customer's charges are seen in", async () => {
    await fc.assert(
      fc.asyncProperty(versionsInAnyOrder, async ([created, order]) => {
        const installId = await newInstall();
        for (const [step, time] of order.entries()) {
          await upsertLatestCharges(db.pool, installId, [
            {
              customerId: 'cus_1',
              charge: { id: `ch_${time}`, status: 'succeeded', created: time },
              observedAt: at(step),
            },
          ]);
        }
        const { rows } = await db.pool.query<{ latest_charge: { id: string } }>(
          `SELECT latest_charge FROM stripe_customers WHERE install_id = $1`,
          [installId],
        );
        assert.equal(rows[0]?.latest_charge.id, `ch_${Math.max(...created)}`);
      }),
      { numRuns: 25 },
    );
  });
});

describe('mirror upserts side by side (in PostgreSQL)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  before(async () => (db = await createTestDatabase()));
  after(async () => db?.drop());

  it('a customers page and a charges page of one install write together without a deadlock', async () => {
    // importFirstPages reads the customers list and the charges list at once, and each page writes the customers it
    // names: Stripe lists customers newest first, and a charges page names them in its charges' order. Rows locked
    // in two orders deadlocked; PostgreSQL then aborted one page (seen in the fleet bench, retried by Temporal).
    const { id: installId } = await insertTestInstall(db.pool);
    const ids = Array.from({ length: 2_000 }, (_, n) => `cus_${String(n).padStart(5, '0')}`);
    const observedAt = new Date();
    const pages = (round: number) => [
      upsertCustomers(
        db.pool,
        installId,
        ids.map((id) => ({
          customerId: id,
          emailNormalized: `${id}@example.com`,
          deleted: false,
          customer: customer({ id, email: `${id}@example.com` }),
          observedAt: new Date(observedAt.getTime() + round),
        })),
      ),
      upsertLatestCharges(
        db.pool,
        installId,
        [...ids].reverse().map((id) => ({
          customerId: id,
          charge: { id: `ch_${id}_${round}`, status: 'succeeded', created: 1_800_000_000 + round },
          observedAt: new Date(observedAt.getTime() + round),
        })),
      ),
    ];
    for (let round = 0; round < 10; round++) await Promise.all(pages(round));
    const [row] = await getCustomers(db.pool, installId, ['cus_00000']);
    assert.equal(row?.latestCharge?.id, 'ch_cus_00000_9');
  });
});
