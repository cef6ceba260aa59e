import assert from 'node:assert/strict';
import { recordEventForSignal } from '../../src/db/signal-outbox';
import type { StripeEventRef } from '../../src/shared/messages';
import { OutboxRelay } from '../../src/webhooks/outbox-relay';
import { testLogger } from '../support/config';
import { countingPool, createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { eventually } from '../support/stack';
import { customer, event } from '../unit/fixtures/stripe';

const customerEvent = (id: string) => ({ ...event('customer.updated', customer({ id: 'cus_1' })), id });

describe('signal outbox relay: each row claimed once', function () {
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
});
