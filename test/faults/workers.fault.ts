import assert from 'node:assert/strict';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import {
  assertContactsMatch,
  expectationsFromStripe,
  installThroughApi,
  seedImportScenario,
  waitForImport,
  type ImportScenario,
} from '../support/import-scenario';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { assertLossless, intercomWrites, msUntilNextWrite, recordFigures } from '../support/faults';
import { waitForQuiet } from '../support/live-sync';

const CUSTOMER_LIST = 'GET /v1/customers';

/** An import of `customers` seeded customers (some already Intercom users), run by worker processes the case kills. */
class ImportCase {
  readonly workers: WorkerProcess[] = [];
  installId = '';

  private constructor(
    readonly stack: TestStack,
    readonly scenario: ImportScenario,
  ) {}

  static async start(seed: number, customers: number): Promise<ImportCase> {
    // Contacts created just before a crash are invisible to search, as on Intercom: a retry must not duplicate them.
    const stack = await startTestStack({ worker: false, intercom: { searchLagMs: 120_000 } });
    const scenario = seedImportScenario(stack, {
      customers,
      seed,
      withoutEmail: 5,
      sharedEmailPairs: 5,
      differentlyCasedPairs: 5,
      deleted: 5,
      preexistingUsers: Math.floor(customers / 8),
    });
    return new ImportCase(stack, scenario);
  }

  async worker(): Promise<WorkerProcess> {
    const worker = await startWorkerProcess({ config: this.stack.config, temporal: this.stack.service.temporal });
    this.workers.push(worker);
    return worker;
  }

  async install(): Promise<void> {
    this.installId = await installThroughApi(this.stack, this.scenario.token);
  }

  /** Waits until `pages` customer pages were requested from Stripe (the import is under way). */
  async customerPages(pages: number): Promise<void> {
    await eventually(
      async () => ((this.stack.stripe.requestCounts()[CUSTOMER_LIST] ?? 0) >= pages ? true : undefined),
      240_000,
      `${pages} customer pages requested`,
    );
  }

  /** The import completes with every contact right, counters exact, then reconcile finds nothing. */
  async finish(name: string, figures: Record<string, number>): Promise<void> {
    const { stack, scenario, installId } = this;
    const status = await waitForImport(stack, installId, { timeoutMs: 480_000 });
    const expected = expectationsFromStripe(stack.stripe);
    const check = assertContactsMatch(stack.intercom, scenario, expected);
    assert.equal(status.sync.created, check.created, 'created counted exactly');
    assert.equal(status.sync.matched, check.matched, 'matched counted exactly');
    assert.equal(status.sync.failed, 0);
    const lossless = await assertLossless(stack, installId, scenario.workspaceId);
    recordFigures(name, { ...lossless, ...figures, created: check.created, matched: check.matched });
  }

  async close(): Promise<void> {
    for (const worker of this.workers) await worker.kill('SIGKILL');
    await this.stack.close();
  }
}

describe('faults: workers killed', function () {
  this.timeout(900_000);
  let current: ImportCase | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it('the only worker SIGKILLed mid-import, a new one 4 s later: writes resume, counters exact', async () => {
    const run = (current = await ImportCase.start(101, 600));
    const first = await run.worker();
    await run.install();
    await run.customerPages(2);
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await run.worker();
    const readyAfterKillMs = Date.now() - killedAt;
    const resumeMs = await msUntilNextWrite(run.stack, run.scenario.workspaceId);
    await run.finish('worker killed mid-import', { readyAfterKillMs, resumeAfterReadyMs: resumeMs });
  });

  it('killed between an Intercom create and the PostgreSQL write recording it: the contact stays ours', async () => {
    const run = (current = await ImportCase.start(102, 300));
    const first = await run.worker();
    await run.install();
    await eventually(
      async () => (intercomWrites(run.stack, run.scenario.workspaceId) > 20 ? true : undefined),
      240_000,
      'contacts being created',
    );
    // Answers now come 3 s after the request took effect; the worker dies meanwhile, so Intercom holds contacts
    // whose creation nobody recorded.
    run.stack.intercom.setFaults({ answerDelayMs: 3_000 });
    const creates = () => run.stack.intercom.requestCounts(run.scenario.workspaceId)['POST /contacts'] ?? 0;
    const before = creates();
    await eventually(async () => (creates() > before ? true : undefined), 60_000, 'a create in flight');
    await first.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    run.stack.intercom.setFaults({ answerDelayMs: 0 });
    // Contacts Intercom made for us that the service has not recorded: the crash window this case is about.
    const inIntercom = run.stack.intercom
      .workspace(run.scenario.workspaceId)
      .contacts.filter((contact) => !run.scenario.preexisting.has(contact.id)).length;
    const recorded = await run.stack.db.pool.query<{ count: string }>(
      `SELECT count(*) FROM intercom_contacts WHERE install_id = $1 AND created_by_us`,
      [run.installId],
    );
    const unrecordedCreates = inIntercom - Number(recorded.rows[0]?.count);
    assert.ok(unrecordedCreates > 0, 'the worker died with creates applied but unrecorded');
    await run.worker();
    const resumeMs = await msUntilNextWrite(run.stack, run.scenario.workspaceId);
    await run.finish('worker killed between Intercom write and PostgreSQL write', {
      unrecordedCreates,
      resumeAfterReadyMs: resumeMs,
    });
  });

  it('two workers, one killed mid-import: the other finishes; later email and name changes all reach Intercom', async () => {
    const run = (current = await ImportCase.start(103, 600));
    const [doomed] = [await run.worker(), await run.worker()] as [WorkerProcess, WorkerProcess];
    await run.install();
    await run.customerPages(2);
    await doomed.kill('SIGKILL');
    const killedAt = Date.now();
    await run.finish('two workers, one killed', { finishedAfterKillMs: 0 });
    const finishedAfterKillMs = Date.now() - killedAt;

    // Every customer the service created a contact for changes email and name: the contacts must follow.
    const created = await run.stack.db.pool.query<{ customer_id: string }>(
      `SELECT l.customer_id FROM contact_links l JOIN intercom_contacts c USING (install_id, contact_id)
       WHERE l.install_id = $1 AND c.created_by_us`,
      [run.installId],
    );
    const owners = new Map<string, number>();
    for (const row of created.rows) owners.set(row.customer_id, owners.size);
    const changed = [...owners].slice(0, 150);
    for (const [customerId, index] of changed) {
      const customer = run.stack.stripe.admin.find(customerId) as { email: string | null };
      if (!customer.email) continue;
      run.stack.stripe.admin.updateCustomer(customerId, {
        email: `renamed.${index}.${customer.email.trim()}`,
        name: `Renamed ${index}`,
      });
    }
    await waitForQuiet(run.stack, run.installId);
    const lossless = await assertLossless(run.stack, run.installId, run.scenario.workspaceId);
    recordFigures('two workers, one killed: later changes', {
      ...lossless,
      changed: changed.length,
      finishedAfterKillMs,
    });
  });
});
