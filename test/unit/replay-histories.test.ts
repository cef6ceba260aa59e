import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker } from '@temporalio/worker';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';
import { HISTORIES_DIR, historyFromJson, historyShape } from '../support/histories';
import { RELEASES } from '../support/releases';

/**
 * Every workflow history recorded from a release (test/histories/<release>/, `npm run histories:record`) replays
 * against the current workflow code: a deploy meets such runs mid-flight, and a change to what a workflow does that
 * is not behind a new patched() id fails here with a nondeterminism error.
 */
describe('recorded workflow histories replay on the current code', function () {
  this.timeout(300_000);
  const recorded = RELEASES.map(({ tag }) => ({
    tag,
    files: readdirSync(path.join(HISTORIES_DIR, tag))
      .filter((file) => file.endsWith('.json.gz'))
      .map((file) => path.join(HISTORIES_DIR, tag, file)),
  }));

  for (const { tag, files } of recorded) {
    it(`${tag}: the corpus has every workflow type and the shapes a deploy meets`, () => {
      const shapes = files.map((file) => historyShape(readHistory(file)));
      const has = (what: string, test: (shape: (typeof shapes)[number]) => boolean) =>
        assert.ok(shapes.some(test), `${tag} has no history of ${what}`);
      has('an import reading sliced lists through the customers phase', (shape) => {
        return shape.workflowType === 'importWorkflow' && shape.slicedLists && (shape.importPages.customers ?? 0) > 1;
      });
      has('a sync run continued as new', (shape) => shape.workflowType === 'syncWorkflow' && shape.continuedAsNew);
      has('a disabled sync run', (shape) => shape.workflowType === 'syncWorkflow' && shape.disabled);
      has('a completed preview', (shape) => shape.workflowType === 'previewWorkflow' && shape.completed);
    });
  }

  it('replays every recorded history without nondeterminism', async () => {
    const workflowBundle = await bundleWorkflowsInChildProcess();
    const histories = recorded.flatMap(({ tag, files }) =>
      files.map((file) => ({
        workflowId: `${tag}/${path.basename(file)}`,
        history: readHistory(file),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(histories.length >= 4 * RELEASES.length, `${histories.length} histories`);
  });
});

function readHistory(file: string) {
  return historyFromJson(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')));
}
