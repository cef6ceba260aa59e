import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import { testConfig, testLogger } from '../support/config';
import { registerTeardown } from '../support/teardown';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import {
  assertContactsMatch,
  expectationsFromStripe,
  installThroughApi,
  seedImportScenario,
  waitForImport,
} from '../support/import-scenario';
import {
  CustomerBook,
  Mutator,
  Random,
  eventIds,
  install,
  runMutations,
  seedCustomers,
  waitForQuiet,
} from '../support/live-sync';
import { assertConvergedAfterCrash, assertLossless, recordFigures } from '../support/faults';
import { freePort } from '../../src/dev/ports';
import { findTemporalCli, startTemporalDevServer, type DevServer } from '../../src/dev/temporal-cli';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/dev/postgres';

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  // As root, PostgreSQL runs as the postgres user, which must get through it.
  await chmod(dir, 0o755);
  registerTeardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function isAlive(worker: WorkerProcess): boolean {
  try {
    process.kill(worker.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A dev server of the test's own, to stop and start again on the same SQLite file and address. */
async function ownTemporal(prefix: string): Promise<{ address: string; startServer: () => Promise<DevServer> }> {
  const logger = testLogger();
  const cliPath = await findTemporalCli(testConfig({ TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH }), logger);
  const dataDir = await tempDir(prefix);
  const address = `127.0.0.1:${await freePort()}`;
  const startServer = () =>
    startTemporalDevServer({ cliPath, dataDir, address, uiPort: 0, namespace: 'default', logger, headless: true });
  return { address, startServer };
}

async function outboxRows(stack: TestStack): Promise<number> {
  const result = await stack.db.pool.query<{ count: string }>(`SELECT count(*) FROM signal_outbox`);
  return Number(result.rows[0]?.count ?? 0);
}

/**
 * Starts a burst of Stripe changes delivered as webhooks and returns once `faultAfter` of its events are recorded:
 * the fault then lands mid-burst. `before` holds the event ids recorded before the burst.
 */
async function midBurst(
  stack: TestStack,
  random: Random,
  book: CustomerBook,
  burst: { mutations: number; newCustomers: number; deletes: boolean; pauseMs: [number, number]; faultAfter: number },
): Promise<{ before: Set<string>; burst: Promise<unknown> }> {
  const before = eventIds(stack);
  const mutator = new Mutator(stack.stripe.admin, random, book, {
    newCustomers: burst.newCustomers,
    deletes: burst.deletes,
  });
  const running = runMutations(mutator, random, burst.mutations, { pauseMs: burst.pauseMs });
  await eventually(
    async () => (eventIds(stack).size >= before.size + burst.faultAfter ? true : undefined),
    120_000,
    `${burst.faultAfter} Stripe events of the burst`,
  );
  return { before, burst: running };
}

/** Steady webhook traffic around a dependency's outage (Temporal or PostgreSQL stopped mid-burst). */
const WEBHOOK_TRAFFIC = {
  mutations: 150,
  newCustomers: 5,
  deletes: false,
  pauseMs: [50, 150] as [number, number],
  faultAfter: 30,
};

describe('faults: infrastructure', function () {
  this.timeout(900_000);
  const workers: WorkerProcess[] = [];
  let stack: TestStack | undefined;
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.kill('SIGKILL');
    await stack?.close();
    stack = undefined;
  });

  const startWorker = async () => {
    const current = stack as TestStack;
    const worker = await startWorkerProcess({ config: current.config, temporal: current.service.temporal });
    workers.push(worker);
    return worker;
  };

  it('the only worker SIGKILLed mid-webhook-burst and restarted 5 s later', async () => {
    stack = await startTestStack({ worker: false, stripe: { seed: 401 } });
    const random = new Random(401);
    const book = new CustomerBook();
    seedCustomers(stack.stripe.admin, random, book, { customers: 120 });
    const first = await startWorker();
    const target = await install(stack);
    await waitForQuiet(stack, target.installId);
    const { before, burst } = await midBurst(stack, random, book, {
      mutations: 200,
      newCustomers: 10,
      deletes: true,
      pauseMs: [5, 25],
      faultAfter: 80,
    });
    await first.kill('SIGKILL');
    await sleep(5_000);
    await startWorker();
    const restartedAt = Date.now();
    await burst;
    await waitForQuiet(stack, target.installId, { timeoutMs: 600_000 });
    const drainedAfterRestartMs = Date.now() - restartedAt;
    const converged = assertConvergedAfterCrash(stack, target, book, before);
    const lossless = await assertLossless(stack, target.installId, target.workspaceId);
    recordFigures('worker killed mid-webhook-burst', { ...lossless, ...converged, drainedAfterRestartMs });
  });

  it('the Temporal dev server killed mid-import and restarted on the same SQLite file', async () => {
    const { address, startServer } = await ownTemporal('sis-fault-temporal-');
    let server: DevServer = await startServer();
    registerTeardown(() => server.stop());
    stack = await startTestStack({
      worker: false,
      temporal: { address, namespace: 'default' },
      intercom: { searchLagMs: 120_000 },
    });
    const scenario = seedImportScenario(stack, { customers: 500, seed: 402, preexistingUsers: 60 });
    const worker = await startWorker();
    const installId = await installThroughApi(stack, scenario.token);
    await eventually(
      async () => ((stack?.stripe.requestCounts()['GET /v1/customers'] ?? 0) >= 2 ? true : undefined),
      240_000,
      'two customer pages',
    );
    await server.stop();
    const stoppedAt = Date.now();
    await sleep(5_000);
    server = await startServer();
    const restartedAfterMs = Date.now() - stoppedAt;
    const workerSurvived = isAlive(worker);
    if (!workerSurvived) await startWorker();
    const status = await waitForImport(stack, installId, { timeoutMs: 600_000 });
    const finishedAfterRestartMs = Date.now() - stoppedAt - restartedAfterMs;
    const check = assertContactsMatch(stack.intercom, scenario, expectationsFromStripe(stack.stripe));
    assert.equal(status.sync.created, check.created);
    assert.equal(status.sync.matched, check.matched);
    const lossless = await assertLossless(stack, installId, scenario.workspaceId);
    recordFigures('temporal dev server restarted mid-import', {
      ...lossless,
      restartedAfterMs,
      finishedAfterRestartMs,
      workerSurvived: String(workerSurvived),
    });
    await stack.close();
    stack = undefined;
    await server.stop();
  });

  it('the Temporal dev server stopped for 20 s during webhook traffic: deliveries still answered 200, drained after', async () => {
    const { address, startServer } = await ownTemporal('sis-fault-temporal-webhooks-');
    let server: DevServer = await startServer();
    registerTeardown(() => server.stop());
    stack = await startTestStack({ worker: false, stripe: { seed: 404 }, temporal: { address, namespace: 'default' } });
    const random = new Random(404);
    const book = new CustomerBook();
    seedCustomers(stack.stripe.admin, random, book, { customers: 80 });
    let worker = await startWorker();
    const target = await install(stack);
    await waitForQuiet(stack, target.installId);
    const attemptsBefore = stack.stripe.admin.deliveries().length;
    const { before, burst } = await midBurst(stack, random, book, WEBHOOK_TRAFFIC);
    await server.stop();
    const stoppedAt = Date.now();
    await sleep(20_000);
    const outboxAtRestart = await outboxRows(stack);
    server = await startServer();
    const restartedAt = Date.now();
    if (!isAlive(worker)) worker = await startWorker();
    await burst;
    await waitForQuiet(stack, target.installId, { timeoutMs: 600_000 });
    await eventually(async () => ((await outboxRows(stack as TestStack)) === 0 ? true : undefined), 120_000, 'outbox');
    const drainedAfterRestartMs = Date.now() - restartedAt;

    const attempts = stack.stripe.admin.deliveries().slice(attemptsBefore);
    const duringOutage = attempts.filter((attempt) => attempt.at >= stoppedAt && attempt.at <= restartedAt);
    const failed = attempts.filter((attempt) => attempt.outcome !== 'succeeded');
    assert.ok(duringOutage.length >= 20, `${duringOutage.length} deliveries while Temporal was down`);
    assert.deepEqual(
      failed.map((attempt) => `${attempt.eventId}: ${attempt.httpStatus ?? attempt.error}`),
      [],
      'every delivery answered 2xx, also while Temporal was down',
    );
    // They waited in the outbox meanwhile, not in a retry queue at Stripe.
    assert.ok(outboxAtRestart > 0, 'events waited in the outbox while Temporal was down');
    const converged = assertConvergedAfterCrash(stack, target, book, before);
    const lossless = await assertLossless(stack, target.installId, target.workspaceId);
    recordFigures('temporal stopped 20 s during webhooks', {
      ...lossless,
      ...converged,
      deliveriesDuringOutage: duringOutage.length,
      failedDeliveries: failed.length,
      outboxAtRestart,
      drainedAfterRestartMs,
      outageMs: restartedAt - stoppedAt,
    });
    await stack.close();
    stack = undefined;
    await server.stop();
  });

  it('PostgreSQL stopped for 30 s during webhook traffic', async () => {
    const logger = testLogger();
    const dir = await tempDir('sis-fault-postgres-');
    const port = await freePort();
    const startPostgres = () => startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port, logger });
    let postgres: EmbeddedPostgres = await startPostgres();
    registerTeardown(() => postgres.stop().catch(() => undefined));
    stack = await startTestStack({ stripe: { seed: 403 }, databaseServer: postgres.connectionString('postgres') });
    const random = new Random(403);
    const book = new CustomerBook();
    seedCustomers(stack.stripe.admin, random, book, { customers: 80 });
    const target = await install(stack);
    await waitForQuiet(stack, target.installId);
    const { before, burst } = await midBurst(stack, random, book, WEBHOOK_TRAFFIC);
    await postgres.stop();
    await sleep(30_000);
    postgres = await startPostgres();
    const restartedAt = Date.now();
    await burst;
    await waitForQuiet(stack, target.installId, { timeoutMs: 600_000 });
    const drainedAfterRestartMs = Date.now() - restartedAt;
    const converged = assertConvergedAfterCrash(stack, target, book, before);
    const lossless = await assertLossless(stack, target.installId, target.workspaceId);
    recordFigures('postgres stopped 30 s during webhooks', { ...lossless, ...converged, drainedAfterRestartMs });
    await stack.close();
    stack = undefined;
    await postgres.stop();
  });
});
