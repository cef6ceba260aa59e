import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/workflows/work-queue';
import { RecentIds } from '../../src/workflows/recent-ids';

const event = (customerId: string, eventId: string, refresh = true) => ({ customerId, refresh, eventIds: [eventId] });

describe('sync work queue', () => {
  it('coalesces queued work for one customer: one entry, refresh kept, events in arrival order, no repeats', () => {
    const queue = new WorkQueue();
    queue.add(event('cus_a', 'evt_1', false));
    queue.add(event('cus_b', 'evt_2'));
    queue.add(event('cus_a', 'evt_3'));
    queue.add(event('cus_a', 'evt_1'));
    assert.equal(queue.depth, 2);
    const [first, second] = queue.take(10);
    assert.deepEqual(first, { customerId: 'cus_a', refresh: true, eventIds: ['evt_1', 'evt_3'], batchKeys: [] });
    assert.equal(second?.customerId, 'cus_b');
  });

  it('never hands out a customer that is in flight; work arriving meanwhile waits for completion', () => {
    const queue = new WorkQueue();
    queue.add(event('cus_a', 'evt_1'));
    assert.deepEqual(
      queue.take(5).map((item) => item.customerId),
      ['cus_a'],
    );
    queue.add(event('cus_a', 'evt_2'));
    queue.add(event('cus_b', 'evt_3'));
    assert.equal(queue.hasReady(), true);
    assert.deepEqual(
      queue.take(5).map((item) => item.customerId),
      ['cus_b'],
    );
    assert.equal(queue.hasReady(), false, 'cus_a is still in flight');
    queue.complete([{ customerId: 'cus_a', refresh: true, eventIds: ['evt_1'], batchKeys: [] }]);
    assert.deepEqual(queue.take(5), [{ customerId: 'cus_a', refresh: true, eventIds: ['evt_2'], batchKeys: [] }]);
  });

  it('takes live changes alone when asked, an imported customer with an event of its own counted as live', () => {
    const queue = new WorkQueue();
    assert.equal(queue.addPage({ replyTo: 'import:ins_1', seq: 1 }, ['cus_a', 'cus_b', 'cus_c']), undefined);
    assert.equal(queue.hasReadyLive(), false);
    queue.add(event('cus_z', 'evt_1'));
    queue.add(event('cus_b', 'evt_2'));
    assert.equal(queue.hasReadyLive(), true);
    assert.deepEqual(
      queue.take(10, true).map((item) => item.customerId),
      ['cus_b', 'cus_z'],
      'oldest first among the live ones: cus_b was queued by the import before cus_z',
    );
    assert.equal(queue.hasReadyLive(), false, 'both in flight');
    assert.deepEqual(
      queue.take(10).map((item) => item.customerId),
      ['cus_a', 'cus_c'],
    );
  });

  it('acknowledges an import page once every customer of it is written', () => {
    const queue = new WorkQueue();
    assert.equal(queue.addPage({ replyTo: 'import:ins_1', seq: 0 }, ['cus_a', 'cus_b', 'cus_a']), undefined);
    const [a, b] = queue.take(1).concat(queue.take(1));
    assert.deepEqual(queue.complete([a!]), []);
    assert.deepEqual(queue.complete([b!]), [{ replyTo: 'import:ins_1', seq: 0 }]);
    assert.deepEqual(queue.addPage({ replyTo: 'import:ins_1', seq: 1 }, []), { replyTo: 'import:ins_1', seq: 1 });
  });

  it("tells whether what is ready to take is an import's customers alone (no event of its own)", () => {
    const queue = new WorkQueue();
    assert.equal(queue.readyImportOnly(), true, 'empty');
    queue.addPage({ replyTo: 'import:ins_1', seq: 0 }, ['cus_a', 'cus_b']);
    assert.equal(queue.readyImportOnly(), true);
    queue.add(event('cus_c', 'evt_1'));
    assert.equal(queue.readyImportOnly(), false, 'a live change is ready');
    const [a, b, c] = queue.take(3);
    queue.add(event('cus_a', 'evt_2'));
    assert.equal(queue.readyImportOnly(), true, "cus_a's change waits for its batch in flight");
    queue.complete([a!, b!, c!]);
    assert.equal(queue.readyImportOnly(), false, "cus_a's change is ready once its batch completed");
  });

  it('tracks the deepest it has been and survives a snapshot (continue-as-new) with pages still pending', () => {
    const queue = new WorkQueue();
    queue.addPage({ replyTo: 'import:ins_1', seq: 3 }, ['cus_a', 'cus_b', 'cus_c']);
    assert.equal(queue.maxDepth, 3);
    const done = queue.take(1);
    queue.complete(done);
    const restored = new WorkQueue(JSON.parse(JSON.stringify(queue.snapshot())));
    assert.equal(restored.depth, 2);
    assert.equal(restored.maxDepth, 3);
    assert.deepEqual(restored.complete(restored.take(2)), [{ replyTo: 'import:ins_1', seq: 3 }]);
  });

  it('hands over only what PostgreSQL cannot give back: import pages and event ids not re-readable', () => {
    const queue = new WorkQueue();
    queue.addPage({ replyTo: 'import:ins_1', seq: 4 }, ['cus_page']);
    queue.add({ customerId: 'cus_page', refresh: true, eventIds: ['evt_recorded_1'] });
    queue.add({ customerId: 'cus_events', refresh: true, eventIds: ['evt_recorded_2', 'evt_recorded_3'] });
    queue.add({ customerId: 'cus_support', refresh: true, eventIds: ['support_refresh_x_cus_support'] });
    const recorded = (id: string) => id.startsWith('evt_recorded');
    const snapshot = queue.handOverSnapshot(recorded);
    assert.deepEqual(snapshot.pending, [
      // The page's customer stays for its acknowledgement; its refresh was the recorded event's, which comes back.
      { customerId: 'cus_page', refresh: false, eventIds: [], batchKeys: ['import:ins_1#4'] },
      { customerId: 'cus_support', refresh: true, eventIds: ['support_refresh_x_cus_support'], batchKeys: [] },
    ]);
    assert.deepEqual(snapshot.pages, [{ replyTo: 'import:ins_1', seq: 4, remaining: 1 }]);
    const restored = new WorkQueue(snapshot);
    assert.deepEqual(restored.complete(restored.take(5)), [{ replyTo: 'import:ins_1', seq: 4 }]);
  });

  it('drops everything when cleared (the install was disabled)', () => {
    const queue = new WorkQueue();
    queue.add(event('cus_a', 'evt_1'));
    queue.clear();
    assert.equal(queue.hasReady(), false);
    assert.deepEqual(queue.take(5), []);
  });
});

describe('recent event ids', () => {
  it('reports repeats and forgets the oldest beyond its capacity', () => {
    const recent = new RecentIds(2, ['evt_1']);
    assert.equal(recent.add('evt_1'), false);
    assert.equal(recent.add('evt_2'), true);
    assert.equal(recent.add('evt_3'), true);
    assert.deepEqual(recent.toArray(), ['evt_2', 'evt_3']);
    assert.equal(recent.add('evt_1'), true, 'evt_1 was forgotten');
  });
});
