import assert from 'node:assert/strict';
import { BatchEvents } from '../../src/activities/batch-events';
import { recordEvent } from '../../src/db/events';
import { countingPool, createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { customer, event } from '../unit/fixtures/stripe';

const customerEvent = (id: string) => ({ ...event('customer.updated', customer({ id: 'cus_1' })), id });

describe('batch events: one read per attempt', function () {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });

  after(async () => {
    await db.drop();
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
    assert.deepEqual(
      (await events.all()).map((read) => read.eventId),
      ['evt_1', 'evt_2'],
      'the whole batch',
    );
    assert.equal(reads.count(), 1);
    await assert.rejects(events.of(['evt_elsewhere']), /evt_elsewhere is not in this batch/);
  });
});
