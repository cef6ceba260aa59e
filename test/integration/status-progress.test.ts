import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunProgress } from '../../src/status/progress';
import { seedImportScenario } from '../support/import-scenario';
import { previewWithPastedKeys } from '../support/oauth-flow';
import { startTestStack, type TestStack } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const SAMPLE_EVERY_MS = 250;

interface Sample {
  atMs: number;
  state: string;
  progress: RunProgress | null;
}

const COUNTS = ['billingObjects', 'customersRead', 'customersDone', 'contactsWritten', 'total'] as const;
const PHASE_ORDER = ['starting', 'billing', 'customers', 'finishing', 'done'];

/** Every way a sample could go back against the one before it (same run), and a percentage past 95 too early. */
function regressions(samples: Sample[]): string[] {
  const found: string[] = [];
  samples.forEach((sample, index) => {
    const now = sample.progress;
    if (!now) return;
    if (now.percent !== null && now.percent > 95 && now.phase !== 'finishing' && now.phase !== 'done') {
      found.push(`#${index}: ${now.percent} % in phase ${now.phase}`);
    }
    const before = samples[index - 1]?.progress;
    if (!before || before.importId !== now.importId) return;
    for (const key of COUNTS) {
      const was = before[key];
      const is = now[key];
      if (was !== null && (is === null || is < was)) found.push(`#${index}: ${key} ${was} → ${is}`);
    }
    if (before.percent !== null && (now.percent === null || now.percent < before.percent)) {
      found.push(`#${index}: percent ${before.percent} → ${now.percent}`);
    }
    if (PHASE_ORDER.indexOf(now.phase) < PHASE_ORDER.indexOf(before.phase)) {
      found.push(`#${index}: phase ${before.phase} → ${now.phase}`);
    }
  });
  return found;
}

describe('status: progress never goes back (import, worker restart, resync)', function () {
  this.timeout(900_000);
  let stack: TestStack;
  const workers: WorkerProcess[] = [];

  before(async () => {
    // The worker runs as a child process, so the test can kill and restart it mid-import.
    stack = await startTestStack({ worker: false, config: { ALLOW_TEST_MODE: false } });
    workers.push(await startWorkerProcess({ config: stack.config, temporal: stack.service.temporal }));
  });
  after(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await stack?.close();
  });

  async function sampleOnce(installId: string, samples: Sample[]): Promise<Sample> {
    const atMs = Date.now();
    const response = await stack.api(`/installs/${installId}`);
    const body = (await response.json()) as { state: string; progress: RunProgress | null };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.notEqual(body.state, 'failed', 'the install failed');
    const sample = { atMs, state: body.state, progress: body.progress };
    samples.push(sample);
    return sample;
  }

  /** Samples GET /installs/:id every 250 ms until `until` says the run is over. */
  async function sampleUntil(
    installId: string,
    until: (sample: Sample) => boolean,
    during?: (sample: Sample, samples: Sample[]) => Promise<void>,
  ): Promise<Sample[]> {
    const samples: Sample[] = [];
    for (;;) {
      const sample = await sampleOnce(installId, samples);
      if (until(sample)) return samples;
      await during?.(sample, samples);
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (Date.now() - sample.atMs)));
    }
  }

  it('samples the status every 250 ms: no count or percentage decreases, ≤ 95 % before finishing', async () => {
    const scenario = seedImportScenario(stack, { customers: 1500, seed: 18, withoutEmail: 20, preexistingUsers: 150 });
    // Through the install pages, as an admin would: the preview's count becomes the import's total.
    const { browser, result: counted } = await previewWithPastedKeys(stack, scenario.token, 300_000);
    assert.equal(counted.phase, 'done', counted.error ?? '');
    const page = await browser.get(`${stack.service.apiUrl}/app/preview`);
    const installed = await browser.post(`${stack.service.apiUrl}/app/install`, { _csrf: browser.csrfOf(page) });
    const installId = /\/app\/installs\/(ins_[A-Za-z0-9_-]+)/.exec(installed.url)?.[1];
    assert.ok(installId, installed.url);

    // The import, with the worker killed and restarted once customers are being written.
    let restarted = false;
    const importSamples = await sampleUntil(
      installId,
      (sample) => sample.progress?.phase === 'done',
      async (sample, samples) => {
        if (restarted || sample.progress?.phase !== 'customers' || sample.progress.customersDone < 500) return;
        restarted = true;
        await (workers.shift() as WorkerProcess).kill('SIGKILL');
        // Samples while no worker runs: the workflows' queries cannot answer, and the figures must hold.
        for (let i = 0; i < 3; i += 1) {
          await sampleOnce(installId, samples);
          await sleep(SAMPLE_EVERY_MS);
        }
        workers.push(await startWorkerProcess({ config: stack.config, temporal: stack.service.temporal }));
      },
    );
    assert.ok(restarted, 'the worker was restarted during the customers phase');
    const importProblems = regressions(importSamples);
    assert.deepEqual(importProblems, [], `import: ${importProblems.slice(0, 10).join('; ')}`);

    const final = importSamples.at(-1)?.progress as RunProgress;
    assert.equal(final.kind, 'import');
    assert.equal(final.percent, 100);
    assert.equal(final.customersRead, counted.customers, 'the import read as many customers as the preview counted');
    const inCustomersPhase = importSamples.filter((sample) => sample.progress?.phase === 'customers');
    assert.ok(
      inCustomersPhase.some((sample) => (sample.progress?.percent ?? 0) > 10 && (sample.progress?.percent ?? 0) < 95),
      'percentages were shown while customers were written',
    );
    assert.ok(
      inCustomersPhase.every((sample) => sample.progress?.total === counted.customers),
      "the total is the preview's count",
    );

    // A resync of the unchanged account: checked N of M, nothing changed.
    const resync = await stack.api(`/installs/${installId}/resync`, { method: 'POST' });
    const { importId } = (await resync.json()) as { importId: string };
    assert.equal(resync.status, 202, importId);
    const resyncSamples = await sampleUntil(
      installId,
      (sample) => sample.progress?.importId !== final.importId && sample.progress?.phase === 'done',
    );
    const resyncProblems = regressions(resyncSamples);
    assert.deepEqual(resyncProblems, [], `resync: ${resyncProblems.slice(0, 10).join('; ')}`);
    const resynced = resyncSamples.at(-1)?.progress as RunProgress;
    assert.equal(resynced.kind, 'resync');
    assert.equal(resynced.importId, importId);
    assert.equal(resynced.contactsWritten, 0, 'an unchanged account: nothing written');
    assert.equal(resynced.customersDone, counted.customers);

    const span = (samples: Sample[]) => ((samples.at(-1)?.atMs ?? 0) - (samples[0]?.atMs ?? 0)) / 1000;
    process.stdout.write(
      `      samples: import ${importSamples.length} over ${span(importSamples).toFixed(1)} s, resync ` +
        `${resyncSamples.length} over ${span(resyncSamples).toFixed(1)} s; percentages seen in the import: ` +
        `${[...new Set(importSamples.map((s) => s.progress?.percent))].join(' ')}\n`,
    );
  });
});
