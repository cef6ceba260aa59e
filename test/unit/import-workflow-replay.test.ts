import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';

/**
 * The first 1,200 events of an import run (10,000 customers: its billing lists and first customers pages) recorded
 * (protobuf, gzipped) by the code before the reads-per-list patch, when 16 pages were read at once over all lists. A
 * deploy meets imports mid-flight; they must replay under the current code. Read with the new rule, this history
 * parts from it at event 1,178 (checked by forcing the rule: the replay then fails).
 */
const BEFORE_READS_PER_LIST = path.join(__dirname, 'fixtures', 'import-history-before-reads-per-list.pb.gz');

describe('import workflow replay across versions', function () {
  this.timeout(120_000);

  it('replays a run recorded before the reads-per-list patch without nondeterminism', async () => {
    const history = temporal.api.history.v1.History.decode(gunzipSync(readFileSync(BEFORE_READS_PER_LIST)));
    const pages = history.events.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'importPage',
    ).length;
    // The fixture reaches the customers phase, past the billing lists whose reading the patch changed.
    assert.ok(pages > 213, `${pages} pages`);

    const workflowBundle = await bundleWorkflowsInChildProcess();
    await Worker.runReplayHistory({ workflowBundle }, history, 'import:replay-test');
  });
});
