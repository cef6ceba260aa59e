import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { WorkItem } from '../../src/shared/messages';
import { WorkQueue, type PageAck } from '../../src/workflows/work-queue';

type Command =
  | { kind: 'add'; customer: number; refresh: boolean }
  | { kind: 'page'; customers: number[] }
  | { kind: 'take'; max: number }
  | { kind: 'complete'; which: number };

const customer = fc.integer({ min: 0, max: 7 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), customer, refresh: fc.boolean() }),
  fc.record({ kind: fc.constant('page' as const), customers: fc.array(customer, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('complete' as const), which: fc.nat() }),
);

/**
 * The queue's rules hold whatever order work arrives and batches complete in: one write at a time per customer, every
 * event delivered once in its customer's arrival order, every page acknowledged once, after all its customers.
 */
describe('work queue (properties)', () => {
  it('whatever the interleaving: no customer twice in flight, events once and in order, pages acked once', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const queue = new WorkQueue();
        const inFlight: WorkItem[][] = [];
        const arrived = new Map<string, string[]>();
        const delivered = new Map<string, string[]>();
        const pages = new Map<number, { customers: Set<string>; written: Set<string> }>();
        const acked: number[] = [];
        let nextEvent = 0;
        let nextPage = 0;

        const take = (max: number) => {
          const batch = queue.take(max);
          if (batch.length === 0) return;
          const flying = new Set(inFlight.flat().map((item) => item.customerId));
          for (const item of batch) {
            assert.ok(!flying.has(item.customerId), `${item.customerId} taken while its batch is in flight`);
            delivered.set(item.customerId, [...(delivered.get(item.customerId) ?? []), ...item.eventIds]);
          }
          inFlight.push(batch);
        };
        const complete = (index: number) => {
          const [batch] = inFlight.splice(index, 1);
          if (!batch) return;
          for (const item of batch) {
            for (const key of item.batchKeys) pages.get(Number(key.split('#')[1]))?.written.add(item.customerId);
          }
          for (const ack of queue.complete(batch)) {
            const page = pages.get(ack.seq);
            assert.ok(page, 'an acknowledged page was added');
            assert.deepEqual(page.written, page.customers, `page ${ack.seq} acked before all its customers`);
            acked.push(ack.seq);
          }
        };

        for (const step of commands) {
          if (step.kind === 'add') {
            const customerId = `cus_${step.customer}`;
            const eventId = `evt_${nextEvent++}`;
            arrived.set(customerId, [...(arrived.get(customerId) ?? []), eventId]);
            queue.add({ customerId, refresh: step.refresh, eventIds: [eventId] });
          } else if (step.kind === 'page') {
            const seq = nextPage++;
            const ids = step.customers.map((id) => `cus_${id}`);
            pages.set(seq, { customers: new Set(ids), written: new Set() });
            const ack: PageAck | undefined = queue.addPage({ replyTo: 'import', seq }, ids);
            if (ack) acked.push(ack.seq);
          } else if (step.kind === 'take') take(step.max);
          else if (inFlight.length > 0) complete(step.which % inFlight.length);
        }
        // Drain: complete what flies, take what waits, until nothing is left.
        while (inFlight.length > 0 || queue.hasReady()) {
          while (inFlight.length > 0) complete(0);
          take(3);
        }

        assert.equal(queue.depth, 0);
        for (const [customerId, events] of arrived) {
          assert.deepEqual(delivered.get(customerId), events, `${customerId}: each event once, in arrival order`);
        }
        assert.deepEqual(
          [...acked].sort((a, b) => a - b),
          [...pages.keys()],
          'every page acknowledged exactly once',
        );
      }),
      { numRuns: 300 },
    );
  });
});
