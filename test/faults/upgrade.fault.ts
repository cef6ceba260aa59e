import assert from 'node:assert/strict';
import path from 'node:path';
import { dataEventFor } from '../../src/mapping';
import { importWorkflowId, syncWorkflowId } from '../../src/shared/ids';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import {
  CustomerBook,
  Mutator,
  Random,
  assertConverged,
  eventIds,
  install,
  runMutations,
  seedCustomers,
  waitForQuiet,
  waitForState,
  type DataEventMapping,
} from '../support/live-sync';
import { releaseSource, upgradeSources, type Release } from '../support/releases';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { recordFigures } from '../support/faults';
import { workerIdentities } from '../support/histories';

const CUSTOMER_LIST = 'GET /v1/customers';

/** Stripe delivering as it does: some events twice, out of order, a little late. */
const delivery = { duplicateProbability: 0.3, maxDuplicates: 1, reorder: true, delayMs: [0, 100] as [number, number] };

/**
 * The Stripe events the service has handled so far (processed, or their data event sent). Taken once the release's
 * worker has exited and before ours starts, these are the release's: Intercom keeps a data event as it was sent, so
 * the release's mapping decides what each of them gave (v0.14.0 sent `stripe-charged` for a hold's `charge.succeeded`,
 * the current code waits for its capture).
 */
async function handledEvents(stack: TestStack, installId: string): Promise<Set<string>> {
  const result = await stack.db.pool.query<{ event_id: string }>(
    `SELECT event_id FROM stripe_events
     WHERE install_id = $1 AND (processed_at IS NOT NULL OR intercom_event_at IS NOT NULL)`,
    [installId],
  );
  return new Set(result.rows.map((row) => row.event_id));
}

/** The mapping module of a release's source tree (releaseSource), loaded from its own files. */
async function mappingOf(root: string): Promise<{ dataEventFor: DataEventMapping }> {
  return (await import(path.join(root, 'src', 'mapping', 'index.ts'))) as { dataEventFor: DataEventMapping };
}

/**
 * One case per release the workers are switched from (upgradeSources: the previous release, and v0.14.0 whose contacts
 * lack the attributes added since). Every contact must end as the current code computes it from Stripe, also the
 * contacts the release wrote whose customers see no event after the switch.
 */
for (const release of upgradeSources()) describeUpgradeFrom(release);

function describeUpgradeFrom(release: Release): void {
  describe(`upgrade: workers switched from ${release.tag} to the current code mid-flight`, function () {
    this.timeout(900_000);
    let stack: TestStack | undefined;
    const workers: WorkerProcess[] = [];
    after(async () => {
      for (const worker of workers) await worker.kill('SIGKILL');
      await stack?.close();
    });

    it('an import and a live sync started on the release finish on the current code: nothing lost, nothing twice', async () => {
      // The API is the current code's (deploys roll it first, or together); the workers are the release's, then ours.
      stack = await startTestStack({ worker: false, stripe: { seed: 71, webhook: delivery } });
      const { config } = stack;
      const temporal = stack.service.temporal;
      const releaseRoot = await releaseSource(release);
      const old = await startWorkerProcess({ config, temporal, root: releaseRoot });
      workers.push(old);

      const random = new Random(71);
      const book = new CustomerBook();
      seedCustomers(stack.stripe.admin, random, book, { customers: 1_200 });
      book.markImported();
      const target = await install(stack, { waitLive: false });
      const before = eventIds(stack);
      const mutator = new Mutator(stack.stripe.admin, random, book, { newCustomers: 10, deletes: false });

      // The release's workflows run the billing phase and the first customers pages, with webhooks flowing.
      const customerPages = () => stack?.stripe.requestCounts()[CUSTOMER_LIST] ?? 0;
      await runMutations(mutator, random, 400, { pauseMs: [20, 60], until: () => customerPages() >= 3 });
      await eventually(
        async () => (customerPages() >= 3 ? true : undefined),
        300_000,
        'the import in its customers phase',
      );

      // The deploy: the release's worker stops as a deploy stops it (SIGTERM: it drains), the current code's starts.
      await runMutations(mutator, random, 20, { pauseMs: [0, 10] });
      await old.kill('SIGTERM');
      const pagesAtSwitch = customerPages();
      const handledByRelease = await handledEvents(stack, target.installId);
      await runMutations(mutator, random, 20, { pauseMs: [0, 10] });
      const current = await startWorkerProcess({ config, temporal });
      workers.push(current);
      await runMutations(mutator, random, 60, { pauseMs: [20, 60] });

      await waitForState(stack, target.installId, 'live', 600_000);
      await waitForQuiet(stack, target.installId);
      // Contacts as the current code computes them; data events as the code that handled each Stripe event mapped it.
      const releaseMapping = await mappingOf(releaseRoot);
      const summary = await assertConverged(stack, target, book, before, {
        mapDataEvent: (event, options) =>
          (handledByRelease.has(event.id) ? releaseMapping.dataEventFor : dataEventFor)(event, options),
      });

      // Both workflows really ran on both versions: tasks completed by the release's worker and by ours.
      for (const workflowId of [importWorkflowId(target.installId), syncWorkflowId(target.installId)]) {
        const identities = [...(await workerIdentities(temporal, workflowId)).workflowTasks];
        assert.ok(
          identities.some((identity) => identity.startsWith(`${old.pid}@`)),
          `${workflowId}: ${identities}`,
        );
        assert.ok(
          identities.some((identity) => identity.startsWith(`${current.pid}@`)),
          `${workflowId}: ${identities}`,
        );
      }
      assert.ok(pagesAtSwitch < customerPages(), 'customers pages were read after the switch');
      recordFigures(`upgrade from ${release.tag}`, {
        ...summary,
        customerPagesBeforeSwitch: pagesAtSwitch,
        customerPages: customerPages(),
        mutations: Object.values(mutator.counts).reduce((sum, count) => sum + (count ?? 0), 0),
      });
    });
  });
}
