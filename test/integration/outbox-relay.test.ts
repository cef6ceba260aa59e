import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import { BatchEvents } from '../../src/activities/batch-events';
import { recordEvent } from '../../src/db/events';
import { recordEventForSignal } from '../../src/db/signal-outbox';
import type { StripeEventRef } from '../../src/shared/messages';
import { OutboxRelay } from '../../src/webhooks/outbox-relay';
import { testLogger } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { eventually } from '../support/stack';
import { customer, event } from '../unit/fixtures/stripe';

/** The pool (its queries and connections) with the queries containing `marker` counted: the relay's claims, say. */
function countingPool(pool: Pool, marker: string): { pool: Pool; count: () => number } {
  let count = 0;
  const query = (text: unknown, ...rest: unknown[]): unknown => {
    const sql = typeof text === 'string' ? text : (text as { text?: string }).text;
    if (sql?.includes(marker)) count += 1;
    return (pool.query as (...args: unknown[]) => unknown).call(pool, text, ...rest);
  };
  const counted = { query, connect: () => pool.connect() } as unknown as Pool;
  return { pool: counted, count: () => count };
}

const customerEvent = (id: string) => ({ ...event('customer.updated', customer({ id: 'cus_1' })), id });

describe('signal outbox relay and batch event reads: each row claimed once, each batch read once', function () {
  this.timeout(60_000);
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });

  after(async () => {
    await db.drop();
  });

  it("claims each NOTIFYed row once, and rows committed during their install's signal right after it", async () => {
    const [first, second] = [await insertTestInstall(db.pool), await insertTestInstall(db.pool)];
    const claims = countingPool(db.pool, 'WITH claimable');
    const signals: Array<{ installId: string; eventIds: string[]; release: () => void }> = [];
    const workflows = {
      signalEvents: (installId: string, refs: StripeEventRef[]) =>
        new Promise<void>((release) => signals.push({ installId, eventIds: refs.map((ref) => ref.eventId), release })),
    };
    // No poll in this test: every claim is the answer to a NOTIFY (or to the signal that deferred one).
    const relay = new OutboxRelay({ pool: claims.pool, workflows, logger: testLogger(), pollMs: 600_000 });
    await relay.start();
    try {
      await eventually(async () => claims.count() === 1 || undefined, 10_000, 'the claim at start');
      const record = (installId: string, eventId: string) =>
        recordEventForSignal(
          db.pool,
          installId,
          customerEvent(eventId),
          { eventId, customerId: 'cus_1', refresh: true },
          'webhook',
        );

      await record(first.id, 'evt_a1');
      await eventually(async () => signals[0], 10_000, 'the first signal');
      // The intake's own wake-up is left to the NOTIFY when the relay listens: no second claim of the same row.
      relay.queued(first.id);
      // Committed while the first install's signal is in flight: no claim could take it, so none is made.
      await record(first.id, 'evt_a2');
      // Another install's row is claimed at once; NOTIFYs arrive in commit order, so evt_a2's came before it.
      await record(second.id, 'evt_b1');
      await eventually(async () => signals[1], 10_000, 'the second install signalled');
      assert.equal(claims.count(), 3, 'at start, evt_a1 and evt_b1: none for the intake wake-up or for evt_a2');
      assert.deepEqual(
        signals.map(({ installId, eventIds }) => [installId, eventIds]),
        [
          [first.id, ['evt_a1']],
          [second.id, ['evt_b1']],
        ],
      );

      signals[0]?.release();
      const third = await eventually(async () => signals[2], 10_000, 'evt_a2 signalled after the first signal');
      assert.deepEqual([third.installId, third.eventIds], [first.id, ['evt_a2']]);
      assert.equal(claims.count(), 4, 'one more claim, for the row left during the signal');
      signals[1]?.release();
      third.release();
      await eventually(
        async () => {
          const left = await db.pool.query(`SELECT count(*)::int AS n FROM signal_outbox`);
          return left.rows[0].n === 0 || undefined;
        },
        10_000,
        'the outbox drained',
      );
      assert.equal(claims.count(), 4, 'no claim after a signal with nothing committed meanwhile');
    } finally {
      for (const signal of signals) signal.release();
      await relay.close();
    }
  });

  it("reads a batch's events once for every step, and refuses an event from outside the batch", async () => {
    const install = await insertTestInstall(db.pool);
    for (const id of ['evt_1', 'evt_2'])
      await recordEvent(db.pool, install.id, customerEvent(id), { customerId: 'cus_1', refresh: true }, 'webhook');
    const reads = countingPool(db.pool, 'FROM stripe_events');
    const items = [
      { customerId: 'cus_1', refresh: true, eventIds: ['evt_1', 'evt_2', 'evt_unrecorded'], batchKeys: [] },
    ];
    const events = new BatchEvents(reads.pool, install.id, items);

    assert.deepEqual(
      (await events.of(['evt_2'])).map((read) => read.eventId),
      ['evt_2'],
    );
    assert.deepEqual(
      (await events.of(['evt_2', 'evt_unrecorded', 'evt_1'])).map((read) => read.eventId),
      ['evt_2', 'evt_1'],
      'in the order asked, without the event never recorded',
    );
    assert.deepEqual(await events.of([]), []);
    assert.equal(reads.count(), 1);
    await assert.rejects(events.of(['evt_elsewhere']), /evt_elsewhere is not in this batch/);
  });
});
