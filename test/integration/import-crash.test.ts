import assert from 'node:assert/strict';
import { IMPORT_MAX_OUTSTANDING_PAGES } from '../../src/workflows/constants';
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

const CUSTOMER_LIST = 'GET /v1/customers';

describe('import: worker killed mid-import', function () {
  this.timeout(600_000);
  let stack: TestStack;
  let scenario: ImportScenario;
  const workers: WorkerProcess[] = [];

  before(async () => {
    // No worker in this process: the test runs it as a child it can SIGKILL.
    stack = await startTestStack({
      worker: false,
      // Contacts created just before the crash are invisible to search, as on Intercom: the retry must not duplicate.
      intercom: { searchLagMs: 120_000 },
    });
    scenario = seedImportScenario(stack, {
      customers: 2000,
      seed: 4242,
      withoutEmail: 50,
      sharedEmailPairs: 20,
      differentlyCasedPairs: 20,
      deleted: 20,
      preexistingUsers: 300,
    });
  });
  after(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await stack?.close();
  });

  it('resumes from its cursor in a new worker and ends with every contact, none duplicated', async () => {
    const temporal = stack.service.temporal;
    workers.push(await startWorkerProcess({ config: stack.config, temporal }));
    stack.stripe.resetCounts();
    const installId = await installThroughApi(stack, scenario.token);

    // Lost answers as well as a lost worker: Intercom applies these writes but answers 503, so the retries meet
    // contacts they made themselves (a 409 naming them) and must neither duplicate nor mistake them for matches.
    await eventually(
      async () => ((stack.intercom.requestCounts(scenario.workspaceId)['POST /contacts'] ?? 0) > 0 ? true : undefined),
      180_000,
      'the first contact created',
    );
    stack.intercom.setFaults({ failNext: { count: 10, status: 503, afterEffect: true, endpoint: 'POST /contacts' } });

    // A few customer pages in: the import and the sync workflow both have work in flight.
    await eventually(
      async () => ((stack.stripe.requestCounts()[CUSTOMER_LIST] ?? 0) >= 4 ? true : undefined),
      180_000,
      'four customer pages requested',
    );
    const first = workers[0] as WorkerProcess;
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    const before = await stack.api(`/installs/${installId}`).then((res) => res.json() as Promise<{ state: string }>);
    assert.equal(before.state, 'importing', 'the import was still running when the worker died');

    workers.push(await startWorkerProcess({ config: stack.config, temporal }));
    const status = await waitForImport(stack, installId, { timeoutMs: 480_000 });

    // The customer list was not restarted. It is read in parts (creation-time ranges, each from its cursor): only one
    // request read it from its very top, each part was requested at most twice (a page in flight at the kill), and
    // those repeats are at most the pages that can be in flight.
    const expected = expectationsFromStripe(stack.stripe);
    const calls = stack.stripe.requestLog().filter((entry) => entry.endpoint === CUSTOMER_LIST);
    const partOf = (query: Record<string, string>) =>
      [query['created[gte]'], query['created[lt]'], query.starting_after].join('|');
    const fromTheTop = calls.filter((entry) => partOf(entry.query) === '||');
    assert.equal(fromTheTop.length, 1, 'the customer list was requested from its first page again');
    const requestsOf = new Map<string, number>();
    for (const entry of calls) requestsOf.set(partOf(entry.query), (requestsOf.get(partOf(entry.query)) ?? 0) + 1);
    assert.ok(Math.max(...requestsOf.values()) <= 2, 'no part of the list requested more than twice');
    const repeats = calls.length - requestsOf.size;
    assert.ok(repeats <= IMPORT_MAX_OUTSTANDING_PAGES, `${repeats} customer pages requested again`);
    const beforeKill = calls.filter((entry) => entry.atMs < killedAt).length;
    assert.ok(
      beforeKill >= 4 && beforeKill < calls.length,
      `${beforeKill} of ${calls.length} customer pages before the kill`,
    );

    const check = assertContactsMatch(stack.intercom, scenario, expected);
    const creates = stack.intercom.requestCounts(scenario.workspaceId)['POST /contacts'] ?? 0;
    assert.ok(creates > check.created, `${creates} create calls for ${check.created} contacts: none was retried`);
    assert.equal(status.import?.customersSeen, expected.liveCustomers, 'each customer counted once');
    assert.equal(status.sync.created, check.created);
    assert.equal(status.sync.matched, check.matched);
    assert.equal(status.sync.skippedNoEmail, expected.liveWithoutEmail);
    assert.equal(status.sync.failed, 0);
    const sync = await stack.workflows.syncStatus(installId);
    assert.ok(sync && sync.maxQueueDepth <= sync.queueBound, `max queue depth ${sync?.maxQueueDepth}`);
  });
});
