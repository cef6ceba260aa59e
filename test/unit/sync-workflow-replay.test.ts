import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';
import { patchMarkers, scheduledInput } from '../support/histories';

/**
 * A sync workflow run recorded (protobuf, base64) by the code before the short-runs patch: an install, its import, and
 * webhook batches, each turn of the loop with its own catch-up timer. Sync runs live as long as the install, so a
 * deploy meets such runs mid-flight; they must replay under the current code.
 */
const BEFORE_SHORT_RUNS = path.join(__dirname, 'fixtures', 'sync-history-before-short-runs.b64');

/**
 * A sync run recorded (protobuf, gzip) by `5b4d822`, the code before `sync-patches-2026-12-live-2` replaced the
 * first live bundle: a charge during a 1,000-customer import, taken ahead of the import's queue. Such runs replay on
 * the earlier bundle's marker, with one live batch beyond the slots.
 */
const FIRST_LIVE_BUNDLE = path.join(__dirname, 'fixtures', 'sync-history-first-live-bundle.pb.gz');

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

  it('replays a run that recorded the first live bundle, taken over by a bundle that replaces it', async () => {
    const history = temporal.api.history.v1.History.decode(gunzipSync(readFileSync(FIRST_LIVE_BUNDLE)));
    assert.deepEqual(patchMarkers(history.events), ['sync-patches-2026-12', 'sync-patches-2026-12-live']);
    const liveBatches = history.events.filter((event) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'syncCustomers') return false;
      return scheduledInput<{ items: Array<{ eventIds: string[] }> }>(scheduled).items.every(
        (item) => item.eventIds.length > 0,
      );
    });
    assert.ok(liveBatches.length >= 1, 'a batch of live changes taken ahead of the import');

    const workflowBundle = await bundleWorkflowsInChildProcess();
    await Worker.runReplayHistory({ workflowBundle }, history, 'sync:replay-first-live-bundle');
  });
});
