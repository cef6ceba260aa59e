import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';

/**
 * A sync workflow run recorded (protobuf, base64) by the code before the short-runs patch: an install, its import, and
 * webhook batches, each turn of the loop with its own catch-up timer. Sync runs live as long as the install, so a
 * deploy meets such runs mid-flight; they must replay under the current code.
 */
const BEFORE_SHORT_RUNS = path.join(__dirname, 'fixtures', 'sync-history-before-short-runs.b64');

describe('sync workflow replay across versions', function () {
  this.timeout(120_000);

  it('replays a run recorded before the short-runs patch without nondeterminism', async () => {
    const history = temporal.api.history.v1.History.decode(
      Buffer.from(readFileSync(BEFORE_SHORT_RUNS, 'utf8').trim(), 'base64'),
    );
    const timers = history.events.filter((event) => event.timerStartedEventAttributes).length;
    const batches = history.events.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'syncCustomers',
    ).length;
    // The fixture has the old shape this test is about: timers started by the turns of the loop.
    assert.ok(batches >= 3 && timers >= 3, `${batches} batches, ${timers} timers`);

    const workflowBundle = await bundleWorkflowsInChildProcess();
    await Worker.runReplayHistory({ workflowBundle }, history, 'sync:replay-test');
  });
});
