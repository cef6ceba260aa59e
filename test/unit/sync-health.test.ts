import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { WorkflowsHealthProbe } from '../../src/temporal-client/sync-health';

/**
 * Every install's status asks whether a worker polls the task queue. The answer is the queue's, not the install's,
 * so a page of statuses (or the fleet's admins) must not ask the server once per install.
 */
describe('workflow health probe', () => {
  function probeCounting(answers: Array<'polled' | 'fails'>) {
    const calls = { describeTaskQueue: 0 };
    const client = {
      workflowService: {
        describeTaskQueue: async () => {
          calls.describeTaskQueue += 1;
          const answer = answers[Math.floor((calls.describeTaskQueue - 1) / 2)] ?? 'polled';
          if (answer === 'fails') throw new Error('Temporal unavailable');
          return { pollers: [{ lastAccessTime: msToTs(Date.now()) }] };
        },
      },
    } as unknown as Client;
    return { probe: new WorkflowsHealthProbe(client, 'default', 'queue'), calls };
  }

  it('asks the server about the queue once for statuses read within a moment', async () => {
    const { probe, calls } = probeCounting([]);
    const now = Date.now();
    const answers = await Promise.all([probe.workerPolling(now), probe.workerPolling(now + 10)]);
    assert.deepEqual(answers, [true, true]);
    assert.equal(await probe.workerPolling(now + 1_500), true);
    assert.equal(calls.describeTaskQueue, 2, 'one ask: the workflow and the activity queue');
    assert.equal(await probe.workerPolling(now + 2_500), true);
    assert.equal(calls.describeTaskQueue, 4, 'asked again once the answer is older than the reuse window');
  });

  it('does not reuse a failed answer', async () => {
    const { probe, calls } = probeCounting(['fails', 'polled']);
    const now = Date.now();
    await assert.rejects(probe.workerPolling(now), /Temporal unavailable/);
    assert.equal(await probe.workerPolling(now + 10), true);
    assert.equal(calls.describeTaskQueue, 4);
  });
});
