import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { seedCustomers } from '../../emulators/stripe';
import { syncWorkflowId } from '../../src/shared/ids';
import { HISTORIES_DIR, historyShape, historyToJson } from '../support/histories';
import { installThroughApi, seedImportScenario, waitForImport } from '../support/import-scenario';
import { previewWithPastedKeys } from '../support/oauth-flow';
import { RELEASES, releaseSource } from '../support/releases';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { startWorkerProcess } from '../support/worker-process';

/**
 * `RELEASE=v0.14.0 npm run histories:record`: runs every workflow type on that release's worker (its source at the
 * tag's commit, test/support/releases.ts) and writes their histories to test/histories/<release>/ (proto JSON as
 * `temporal workflow show -o json` prints it, gzipped: `zcat` reads them), which `npm test`
 * replays against the current code (test/unit/replay-histories.test.ts). Record each release once, when it is tagged.
 *
 * - an import of 6,000 customers: its billing lists read in slices up to the parallel-read limits the patches are
 *   about, through the customers phase to the end;
 * - the browser flow's preview;
 * - sync runs that continue as new (a sync restarted with a short history limit, then a resync's import);
 * - disable: the install deleted, its last sync run ends.
 */
const release = RELEASES.find((candidate) => candidate.tag === process.env.RELEASE);

describe(`record workflow histories of ${process.env.RELEASE ?? '(set RELEASE)'}`, function () {
  this.timeout(1_800_000);
  let stack: TestStack;

  before(async () => {
    assert.ok(release, `RELEASE must be one of ${RELEASES.map((known) => known.tag).join(', ')}`);
    // The pasted-credential form for the preview; no worker in the stack: the release's runs everything.
    stack = await startTestStack({ worker: false, config: { ALLOW_TEST_MODE: false } });
    await startWorkerProcess({
      config: stack.config,
      temporal: stack.service.temporal,
      root: await releaseSource(release),
    });
  });
  after(() => stack?.close());

  it('records an import, a preview, continued sync runs and a disable', async () => {
    const scenario = seedImportScenario(stack, { customers: 6_000, seed: 41, preexistingUsers: 300 });

    const { result: preview } = await previewWithPastedKeys(stack, scenario.token, 300_000);
    assert.equal(preview.phase, 'done', preview.error ?? '');

    const installId = await installThroughApi(stack, scenario.token);
    await waitForImport(stack, installId, { timeoutMs: 900_000 });

    // Sync runs that continue as new every ~40 events, fed by a resync's import.
    const workflows = stack.service.temporal.workflow;
    await workflows.getHandle(syncWorkflowId(installId)).terminate('recording: restart with a short history limit');
    await workflows.start('syncWorkflow', {
      workflowId: syncWorkflowId(installId),
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ installId, historyLimit: 40 }],
    });
    seedCustomers(stack.stripe, { customers: 200, seed: 42, deleted: 0 });
    const resync = await stack.api(`/installs/${installId}/resync`, { method: 'POST' });
    const { importId } = (await resync.json()) as { importId: string };
    await waitForImport(stack, installId, { importId, timeoutMs: 900_000 });

    const deleted = await stack.api(`/installs/${installId}`, { method: 'DELETE' });
    assert.ok(deleted.ok, `disable: ${deleted.status}`);
    await eventually(
      async () =>
        (await workflows.getHandle(syncWorkflowId(installId)).describe()).status.name === 'COMPLETED'
          ? true
          : undefined,
      120_000,
      'the last sync run to end',
    );

    const dir = path.join(HISTORIES_DIR, (release as { tag: string }).tag);
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    const continued: string[] = [];
    const runs = workflows.list({ query: `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'` });
    for await (const run of runs) {
      const history = await workflows.getHandle(run.workflowId, run.runId).fetchHistory();
      const shape = historyShape(history);
      const name = recordedName(shape, run.runId);
      // Continued sync runs are alike: two of them are kept.
      if (shape.workflowType === 'syncWorkflow' && shape.continuedAsNew && continued.push(name) > 2) continue;
      const json = `${JSON.stringify(historyToJson(history), null, 1)}\n`;
      await writeFile(path.join(dir, `${name}.json.gz`), gzipSync(json));
      written.push(name);
    }
    for (const kind of ['import-sliced', 'sync-continued', 'sync-disabled', 'preview']) {
      assert.ok(
        written.some((name) => name.startsWith(kind)),
        `no ${kind} history among ${written.join(', ')}`,
      );
    }
  });
});

function recordedName(shape: ReturnType<typeof historyShape>, runId: string): string {
  // Run ids are UUIDv7: their first digits are the time, shared by runs started close together.
  const run = runId.slice(-12);
  if (shape.workflowType === 'importWorkflow') {
    const reachedCustomers = (shape.importPages.customers ?? 0) > 0;
    return `import-${shape.slicedLists && reachedCustomers ? 'sliced' : 'whole'}-${run}`;
  }
  if (shape.workflowType === 'syncWorkflow') {
    if (shape.disabled) return `sync-disabled-${run}`;
    return `sync-${shape.continuedAsNew ? 'continued' : 'terminated'}-${run}`;
  }
  return `${shape.workflowType.replace(/Workflow$/, '')}-${run}`;
}
