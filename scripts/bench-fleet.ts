/**
 * `npm run bench:fleet [-- --quick] [--mix 20000x1,2000x2,500x7,200x30,50x30,20x30] [--kill-worker]`: many installs at
 * once, each its own Stripe account (an emulator per account behind one API base, scripts/lib/stripe-accounts.ts) and
 * Intercom workspace (each its own rate limits), realistic latency, Stripe webhooks throughout (charges on customers
 * of live installs and of the big install while it imports), two worker processes and an API process on one Temporal
 * server and one PostgreSQL database.
 *
 * First a sample of the sizes is installed alone (time to live alone), then the whole fleet: at once, or arriving over
 * `--arrival-seconds` (the largest first). Reports per install and in total: time to live against alone, live latency
 * during the big import and after, webhook answer times, Stripe requests per second per account (both workers
 * together, the busiest second) and 429s, Intercom 429s, CPU and RSS of every part of the stack, the workers' memory
 * per idle install, history sizes and billed actions.
 * `--kill-worker` SIGKILLs one worker midway and starts another. The last line on stdout is one JSON object whose
 * `ok` is true when every install is live with nothing lost or duplicated and every webhook charge reached Intercom.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/dev/postgres';
import type { Pool } from 'pg';
import { createPool } from '../src/db/pool';
import type { Config } from '../src/config';
import { z } from 'zod';
import type Stripe from 'stripe';
import { startIntercomEmulator } from '../emulators/intercom';
import type { StripeEmulator } from '../emulators/stripe';
import { createShutdown } from '../src/infra/lifecycle';
import { forEachLimit } from '../src/activities/concurrency';
import { freePort } from '../src/dev/ports';
import { DATA_EVENT_NAME_SUFFIXES, DEFAULT_EVENT_NAME_PREFIX } from '../src/mapping';
import { parseOptions, say, stderrLogger, stopOnSignals } from './lib/cli';
import { countResponses, sum, type Emulators } from './lib/emulators';
import { prepareEnvironment } from './lib/environment';
import {
  installActions,
  installHistory,
  installTimeline,
  type HistoryTotals,
  type InstallTimeline,
} from './lib/history';
import { findTemporalServerPid, processUsage, StackMeter } from './lib/process-usage';
import { maxPerSecond, percentiles, type Percentiles } from './lib/rates';
import { importResult, installAndWait, problems, round, seedScenario, type Api, type Scenario } from './lib/scenario';
import { startServiceProcess, type ServiceProcess } from './lib/service-process';
import { startStripeAccounts } from './lib/stripe-accounts';
import { installStatusSchema, type InstallStatusAnswer as InstallStatus } from '../src/status/schema';

const optionsSchema = z.object({
  /** Installs as `<customers>x<count>` pairs, largest first. */
  mix: z
    .string()
    .regex(/^\d+x\d+(,\d+x\d+)*$/, 'expected <customers>x<count>,… such as 20000x1,50x30')
    .optional(),
  quick: z.boolean().default(false),
  'kill-worker': z.boolean().default(false),
  /** Stripe charges per second over all live installs while the fleet runs. */
  'events-per-second': z.coerce.number().min(0).max(200).default(10),
  'intercom-latency-ms': z.coerce.number().int().min(0).max(10_000).default(150),
  'stripe-latency-ms': z.coerce.number().int().min(0).max(10_000).default(400),
  /** Sizes installed alone first (default: every size of the mix but the largest; `none` to skip). */
  'alone-sizes': z.string().optional(),
  'timeout-minutes': z.coerce.number().min(1).default(40),
  /**
   * Installs arrive over this many seconds, the largest first and the other sizes taking turns, as installs come in
   * production; 0 (the default) creates them all at once.
   */
  'arrival-seconds': z.coerce.number().min(0).max(3_600).default(0),
  /**
   * Charges go on this long after every install is live. The stack's CPU over that window, divided by the charges
   * sent in it (less the stack's idle CPU over as long), is what a live change costs with nothing importing (`steady`).
   */
  'after-seconds': z.coerce.number().min(1).max(3_600).default(15),
  /**
   * What each worker process polls (WORKER_TASKS), one entry per process: `all,all` (the default) is two workers doing
   * everything; `workflows,activities,activities` one for workflow tasks and two for activities.
   */
  'worker-tasks': z
    .string()
    .default('all,all')
    .transform((list) => list.split(','))
    .pipe(z.array(z.enum(['all', 'workflows', 'activities'])).min(1)),
  /** Writes a V8 CPU profile of each worker and of the API (node --cpu-prof) into this directory. */
  'cpu-prof-dir': z.string().min(1).optional(),
});
type Options = z.infer<typeof optionsSchema>;

/** How long the stack is measured idle after the steady window, to take its idle CPU out of a charge's cost. */
const IDLE_SAMPLE_SECONDS = 10;
const FULL_MIX = '20000x1,2000x2,500x7,200x30,50x30,20x30';
const QUICK_MIX = '2000x1,200x3,50x8,20x8';
const chargedEvent = `${DEFAULT_EVENT_NAME_PREFIX}${DATA_EVENT_NAME_SUFFIXES['charge.succeeded']}`;

interface FleetInstall {
  index: number;
  scenario: Scenario;
  stripe: StripeEmulator;
  installId?: string;
  startedAt?: number;
  postedAtMs?: number;
  liveAfterSeconds?: number;
  status?: InstallStatus;
}

interface SentCharge {
  install: FleetInstall;
  customerId: string;
  charge: Stripe.Charge;
  at: number;
  duringBigImport: boolean;
}

async function main(): Promise<void> {
  const options = parseOptions(optionsSchema, ['quick', 'kill-worker']);
  const logger = stderrLogger('bench-fleet');
  const shutdown = createShutdown(logger);
  const signals = stopOnSignals(shutdown, logger);
  let failed = true;
  try {
    // One PostgreSQL for every process: DATABASE_URL's, else an embedded one of our own with room for three
    // processes' pools (2 workers × 42 connections, the API's, a replaced worker's until the server notices it died).
    if (!process.env.DATABASE_URL) {
      const pgDir = await mkdtemp(path.join(tmpdir(), 'sis-fleet-pg-'));
      shutdown.add('fleet PostgreSQL data dir', () => rm(pgDir, { recursive: true, force: true }));
      await chmod(pgDir, 0o755);
      const postgres = await startEmbeddedPostgres({
        dataDir: path.join(pgDir, 'data'),
        port: await freePort(),
        logger,
        maxConnections: 300,
      });
      shutdown.add('fleet PostgreSQL', postgres.stop);
      process.env.DATABASE_URL = postgres.connectionString('postgres');
    }
    // A Temporal dev server of our own, so its CPU is the fleet's alone.
    process.env.TEMPORAL_ADDRESS ||= `127.0.0.1:${await freePort()}`;
    const result = await runFleet(options, logger, shutdown);
    failed = !result.ok;
    console.log(JSON.stringify(result));
  } catch (error) {
    if (!signals.received) logger.error({ err: error }, 'fleet benchmark failed');
  }
  const code = await shutdown.run();
  process.exit(failed || code !== 0 ? 1 : 0);
}

/** The largest install first, then the other sizes taking turns, so that every size arrives all along. */
function arrivalOrder(fleet: FleetInstall[]): FleetInstall[] {
  const [largest, ...rest] = fleet;
  const bySize = new Map<number, FleetInstall[]>();
  for (const install of rest) {
    bySize.set(install.scenario.customers, [...(bySize.get(install.scenario.customers) ?? []), install]);
  }
  const turns: FleetInstall[] = [];
  for (let turn = 0; turns.length < rest.length; turn += 1) {
    for (const group of bySize.values()) if (group[turn]) turns.push(group[turn] as FleetInstall);
  }
  return largest ? [largest, ...turns] : [];
}

function parseMix(mix: string): number[] {
  return mix.split(',').flatMap((pair) => {
    const [customers, count] = pair.split('x').map(Number) as [number, number];
    return Array.from({ length: count }, () => customers);
  });
}

async function runFleet(
  options: Options,
  logger: ReturnType<typeof stderrLogger>,
  shutdown: ReturnType<typeof createShutdown>,
) {
  const sizes = parseMix(options.mix ?? (options.quick ? QUICK_MIX : FULL_MIX)).sort((a, b) => b - a);
  const largest = sizes[0] as number;
  const aloneSizes =
    options['alone-sizes'] === 'none'
      ? []
      : options['alone-sizes']
        ? options['alone-sizes'].split(',').map(Number)
        : [...new Set(sizes)].filter((size) => size !== largest);
  const environment = await prepareEnvironment({ name: 'fleet', logger, shutdown, headless: true });
  const accounts = await startStripeAccounts(shutdown);
  const intercom = await startIntercomEmulator({ port: 0, latencyMs: options['intercom-latency-ms'] });
  shutdown.add('Intercom emulator', () => intercom.close());
  let seed = 0;
  const seeded = async (customers: number): Promise<FleetInstall> => {
    seed += 1;
    const stripe = await accounts.add({ seed, latencyMs: options['stripe-latency-ms'] });
    const emulators = { stripe, intercom, statuses: () => ({ stripe: {}, intercom: {} }) } as Emulators;
    return { index: seed, stripe, scenario: seedScenario(emulators, { customers, preexistingShare: 0.15, seed }) };
  };
  say(`fleet: seeding ${sizes.length} accounts (${sum(sizes)} customers)`);
  const fleet: FleetInstall[] = [];
  for (const size of sizes) fleet.push(await seeded(size));
  const alone: FleetInstall[] = [];
  for (const size of aloneSizes) alone.push(await seeded(size));

  // The API's port is found only now: one found before the accounts' emulators listened could be given to one of them.
  const apiPort = await freePort();
  const config = {
    ...environment.config,
    PORT: apiPort,
    PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    STRIPE_API_BASE: accounts.url,
    INTERCOM_API_BASE: intercom.url,
  };
  const api: Api = { url: config.PUBLIC_URL, adminToken: config.ADMIN_TOKEN };

  // The API first (it migrates), then two workers, each its own process as in production.
  const profileDir = options['cpu-prof-dir'];
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const apiProcess = await startServiceProcess(config, {
    logLevel: 'warn',
    entry: 'src/api/server.ts',
    name: 'api',
    nodeArgs,
  });
  shutdown.add('API process', async () => void (await apiProcess.stop()));
  const metricsUrls = new Map<string, string>();
  const workerRoles = options['worker-tasks'];
  const startWorker = async (name: string, tasks: Config['WORKER_TASKS'] = 'all'): Promise<ServiceProcess> => {
    const metricsPort = await freePort();
    metricsUrls.set(name, `http://127.0.0.1:${metricsPort}/metrics`);
    const worker = await startServiceProcess(
      { ...config, WORKER_METRICS_PORT: metricsPort, WORKER_TASKS: tasks },
      { logLevel: 'warn', entry: 'src/worker.ts', name, readyUrl: `http://127.0.0.1:${metricsPort}/metrics`, nodeArgs },
    );
    shutdown.add(name, async () => void (await worker.stop()));
    return worker;
  };
  const workers: ServiceProcess[] = [];
  for (const [index, tasks] of workerRoles.entries()) workers.push(await startWorker(`worker-${index + 1}`, tasks));
  const temporalPid = await findTemporalServerPid(config.TEMPORAL_ADDRESS);
  const rssBefore = await Promise.all(workers.map((worker) => currentRssMb(worker.pid)));

  // Time to live from the database (the first import's finished_at, when the install turns live), not from the
  // status polls: those come every few seconds, more slowly with 20 installs to ask than with one.
  if (!config.DATABASE_URL) throw new Error('the fleet needs DATABASE_URL (main() sets it)');
  const pool = createPool(config.DATABASE_URL, logger, { max: 2 });
  shutdown.add('bench pool', () => pool.end());
  const liveSecondsSince = async (installId: string, postedAtMs: number): Promise<number> => {
    const found = await pool.query<{ finished_at: Date }>(
      `SELECT finished_at FROM imports WHERE install_id = $1 AND status = 'completed' ORDER BY started_at LIMIT 1`,
      [installId],
    );
    const finishedAt = found.rows[0]?.finished_at;
    return finishedAt ? (finishedAt.getTime() - postedAtMs) / 1000 : NaN;
  };

  // Alone: one install at a time on the idle stack.
  const aloneSeconds = new Map<number, number[]>();
  const smallest = Math.min(...sizes);
  const aloneTimelines: InstallTimeline[] = [];
  for (const install of alone) {
    const postedAtMs = Date.now();
    const run = await installAndWait(api, install.scenario, { timeoutMs: 900_000, stop: new Promise(() => undefined) });
    const seconds = await liveSecondsSince(run.installId, postedAtMs);
    if (install.scenario.customers === smallest) {
      const window = { sinceMs: postedAtMs, untilMs: postedAtMs + seconds * 1000 };
      aloneTimelines.push(await installTimeline(config, run.installId, window));
    }
    aloneSeconds.set(install.scenario.customers, [...(aloneSeconds.get(install.scenario.customers) ?? []), seconds]);
    say(`alone: ${install.scenario.customers} customers live after ${round(seconds, 1)} s`);
  }

  // The fleet, all at once.
  const intercomResponses = countResponses([intercom.port]);
  const stripeResponses = countResponses(fleet.map((install) => install.stripe.port));
  // The stack's processes as they are when called: a killed worker's replacement counts from then on.
  const stackParts = () => ({
    ...Object.fromEntries(workers.map((worker, index) => [`worker-${index + 1}`, worker.pid])),
    api: apiProcess.pid,
    temporal: temporalPid,
  });
  const meter = new StackMeter(stackParts(), config.DATABASE_URL);
  await meter.start();
  // The emulators (Stripe's and Intercom's stand-ins) answer from this process's event loop: its delay is added to
  // every call the stack makes, a delay real Stripe and Intercom do not have.
  const emulatorLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  emulatorLoopDelay.enable();
  const fleetStarted = performance.now();
  const big = fleet[0] as FleetInstall;
  const arrivals = arrivalOrder(fleet);
  const arrivalGapMs = arrivals.length > 1 ? (options['arrival-seconds'] * 1000) / (arrivals.length - 1) : 0;
  // Created while the fleet is watched below: with --arrival-seconds the last ones come long after the first.
  let creationFailed = false;
  const creating = forEachLimit(arrivals, 8, async (install) => {
    const dueAt = fleetStarted + arrivals.indexOf(install) * arrivalGapMs;
    await sleep(Math.max(0, dueAt - performance.now()));
    install.startedAt = performance.now();
    install.postedAtMs = Date.now();
    const created = await callApi<{ id: string }>(api, '/installs', {
      stripe: { apiKey: install.scenario.stripeKey },
      intercom: { accessToken: install.scenario.intercomToken, region: 'us' },
    });
    install.installId = created.id;
  }).then(
    () => say(`fleet: ${fleet.length} installs created in ${round((performance.now() - fleetStarted) / 1000, 1)} s`),
    (error: unknown) => {
      creationFailed = true;
      throw error;
    },
  );
  // Awaited after the watch below, which stops at once when a creation failed: handled here meanwhile, or Node would
  // end the process on the unhandled rejection before the run's orderly failure.
  creating.catch(() => undefined);

  const sent: SentCharge[] = [];
  let stopLoad = false;
  const load = chargeLoad(fleet, big, options['events-per-second'], sent, () => stopLoad);
  let killed: { at: number; usage: Awaited<ReturnType<typeof processUsage>> } | null = null;
  const deadline = Date.now() + options['timeout-minutes'] * 60_000;
  // Which installs left `importing` is read from the database; the status API (Temporal queries and describes) is
  // asked once per install, when it has: polling it for every importing install would add the bench's own load to
  // the Temporal server it measures.
  const importingIds = async (): Promise<Set<string>> => {
    const ids = fleet.flatMap((install) => (install.installId ? [install.installId] : []));
    const found = await pool.query<{ id: string }>(
      `SELECT id FROM installs WHERE id = ANY($1) AND status = 'importing'`,
      [ids],
    );
    return new Set(found.rows.map((row) => row.id));
  };
  for (;;) {
    const stillImporting = await importingIds();
    await forEachLimit(
      fleet.filter(
        (install) =>
          install.liveAfterSeconds === undefined && install.installId && !stillImporting.has(install.installId),
      ),
      8,
      async (install) => {
        const status = await callApi<unknown>(api, `/installs/${install.installId}`)
          .then((answer) => installStatusSchema.parse(answer))
          .catch(() => undefined);
        if (!status) return;
        install.status = status;
        if (status.state === 'importing') return;
        install.liveAfterSeconds = (performance.now() - install.startedAt!) / 1000;
        say(
          `fleet: ${install.scenario.customers} customers ${status.state} after ${round(install.liveAfterSeconds, 1)} s`,
        );
      },
    );
    const waiting = fleet.filter((install) => install.liveAfterSeconds === undefined).length;
    const elapsed = (performance.now() - fleetStarted) / 1000;
    say(`fleet: ${Math.round(elapsed)} s, ${fleet.length - waiting} of ${fleet.length} live`);
    if (options['kill-worker'] && !killed && elapsed > 20 && waiting > 0) {
      const victimIndex = workers.length - 1;
      const victim = workers[victimIndex] as ServiceProcess;
      const usage = await processUsage(victim.pid);
      process.kill(victim.pid, 'SIGKILL');
      killed = { at: elapsed, usage };
      const replacement = `worker-${workers.length + 1}`;
      say(`fleet: worker-${victimIndex + 1} killed (SIGKILL) at ${Math.round(elapsed)} s; starting ${replacement}`);
      workers[victimIndex] = await startWorker(replacement, workerRoles[victimIndex]);
    }
    if (waiting === 0 || creationFailed || Date.now() > deadline) break;
    await sleep(2_000);
  }
  await creating;
  const fleetSeconds = (performance.now() - fleetStarted) / 1000;
  emulatorLoopDelay.disable();
  const workerTasks = Object.fromEntries(
    await Promise.all(
      [...metricsUrls].map(async ([name, url]) => [name, await workerTaskFigures(url).catch(() => null)] as const),
    ),
  );
  for (const install of fleet) {
    if (install.installId && install.postedAtMs !== undefined && install.liveAfterSeconds !== undefined) {
      install.liveAfterSeconds = await liveSecondsSince(install.installId, install.postedAtMs);
    }
  }
  // Webhooks after the imports for a while longer: the live latency with nothing importing, and what it costs (the
  // stack's CPU over the window, less what the same stack uses idle over as long: pollers, timers, background work).
  const steadyMeter = new StackMeter(stackParts(), config.DATABASE_URL);
  await steadyMeter.start();
  const steadyStarted = performance.now();
  const steadyFrom = sent.length;
  await sleep(options['after-seconds'] * 1000);
  stopLoad = true;
  await load;
  const delivered = await waitForCharges(intercom, sent, 120_000);
  const steadyUsage = await steadyMeter.stop();
  const steadySeconds = (performance.now() - steadyStarted) / 1000;
  const idleMeter = new StackMeter(stackParts(), config.DATABASE_URL);
  await idleMeter.start();
  await sleep(IDLE_SAMPLE_SECONDS * 1000);
  const idleUsage = await idleMeter.stop();
  const usage = await meter.stop();
  intercomResponses.stop();
  stripeResponses.stop();
  const rssIdle = await Promise.all(workers.map((worker) => currentRssMb(worker.pid)));

  // What idle installs cost a worker, apart from the garbage an import leaves in a heap and from what any first work
  // costs (code loaded, compiled, pools opened): one fresh worker in place of the two, so that every install is its
  // own; one charge on a tenth of the installs to warm it, then one on every other install, so that each install's
  // sync run has been in the worker (as any install's has once it had an event). The difference is what they cost.
  for (const worker of workers) await worker.stop();
  workers.splice(0, workers.length, await startWorker('worker-fresh'));
  await sleep(5_000);
  const rssFresh = await Promise.all(workers.map((worker) => currentRssMb(worker.pid)));
  const warmCount = Math.min(fleet.length - 1, Math.max(2, Math.ceil(fleet.length / 10)));
  const wakeEach = async (installs: FleetInstall[]) => {
    const charges: SentCharge[] = [];
    await chargeLoad(installs, big, installs.length, charges, () => charges.length >= installs.length);
    const woken = await waitForCharges(intercom, charges, 120_000);
    await sleep(5_000);
    return woken;
  };
  const warmed = await wakeEach(fleet.slice(0, warmCount));
  const rssWarm = await Promise.all(workers.map((worker) => currentRssMb(worker.pid)));
  const woken = await wakeEach(fleet.slice(warmCount));
  const rssWithInstalls = await Promise.all(workers.map((worker) => currentRssMb(worker.pid)));
  const perInstallKb = ((sum(rssWithInstalls) - sum(rssWarm)) * 1024) / (fleet.length - warmCount);

  // Per install: correctness and time against alone.
  const aloneMedian = (size: number) => median(aloneSeconds.get(size) ?? []);
  const perInstall = fleet.map((install) => {
    const result = install.status
      ? importResult(
          { stripe: install.stripe, intercom, statuses: () => ({ stripe: {}, intercom: {} }) } as Emulators,
          install.scenario,
          {
            installId: install.installId ?? '',
            status: install.status,
            seconds: install.liveAfterSeconds ?? NaN,
            statusErrors: 0,
          },
        )
      : null;
    const found = result ? problems(result, install.scenario) : ['never created'];
    const aloneS = aloneMedian(install.scenario.customers);
    return {
      installId: install.installId,
      customers: install.scenario.customers,
      liveSeconds: round(install.liveAfterSeconds ?? NaN, 1),
      aloneSeconds: aloneS === null ? null : round(aloneS, 1),
      vsAlone: aloneS === null ? null : round((install.liveAfterSeconds ?? NaN) / aloneS, 2),
      stripeRequestsPerSecondMax: maxPerSecond(install.stripe.requestLog().map((request) => request.atMs)),
      problems: found,
    };
  });
  const bySize = [...new Set(sizes)].map((size) => {
    const group = perInstall.filter((install) => install.customers === size);
    const ratios = group.flatMap((install) => (install.vsAlone === null ? [] : [install.vsAlone]));
    return {
      customers: size,
      installs: group.length,
      liveSecondsMedian: round(median(group.map((install) => install.liveSeconds)) ?? NaN, 1),
      liveSecondsMax: Math.max(...group.map((install) => install.liveSeconds)),
      aloneSeconds: aloneMedian(size) === null ? null : round(aloneMedian(size)!, 1),
      vsAloneMedian: ratios.length ? median(ratios) : null,
      vsAloneMax: ratios.length ? Math.max(...ratios) : null,
    };
  });

  const duringBig = delivered.filter((charge) => charge.sent.duringBigImport);
  const latency = (charges: typeof delivered) => percentiles(charges.map((charge) => charge.latencyMs));
  const steadySent = new Set(sent.slice(steadyFrom));
  const netPerCharge = (part: string) => {
    const busy = steadyUsage[part]?.cpuSeconds ?? 0;
    const idle = ((idleUsage[part]?.cpuSeconds ?? 0) * steadySeconds) / IDLE_SAMPLE_SECONDS;
    return ((busy - idle) * 1000) / Math.max(1, steadySent.size);
  };
  const parts = Object.keys(steadyUsage);
  const steady = {
    seconds: round(steadySeconds, 1),
    charges: steadySent.size,
    latencyMs: latency(delivered.filter((charge) => steadySent.has(charge.sent))),
    idleCpuPerSecond: Object.fromEntries(
      parts.map((part) => [part, round((idleUsage[part]?.cpuSeconds ?? 0) / IDLE_SAMPLE_SECONDS, 3)]),
    ),
    cpuMsPerCharge: {
      ...Object.fromEntries(parts.map((part) => [part, round(netPerCharge(part), 1)])),
      total: round(sum(parts.map(netPerCharge)), 1),
    },
  };
  const deliveries = fleet.flatMap((install) => install.stripe.admin.deliveries());
  // A few at a time: each opens a connection, and a thousand at once time out against one dev server.
  const histories: Array<HistoryTotals & { customers: number }> = [];
  await forEachLimit(fleet, 8, async (install) => {
    const totals = await installHistory(config, install.installId ?? '');
    histories[install.index - 1] = { customers: install.scenario.customers, ...totals };
  });
  const fleetTimelines: InstallTimeline[] = [];
  await forEachLimit(
    fleet.filter((install) => install.scenario.customers === smallest),
    8,
    async ({ installId, postedAtMs, liveAfterSeconds }) => {
      if (!installId || postedAtMs === undefined || liveAfterSeconds === undefined) return;
      const window = { sinceMs: postedAtMs, untilMs: postedAtMs + liveAfterSeconds * 1000 };
      fleetTimelines.push(await installTimeline(config, installId, window));
    },
  );
  // Billed actions from real histories: the big import (per customer) and, for webhooks, a small install's growth.
  const bigActions = await installActions(config, big.installId ?? '');
  const totalCustomers = sum(sizes);
  const stackCpu =
    Object.values(usage).reduce((total, part) => total + (part?.cpuSeconds ?? 0), 0) + (killed?.usage?.cpuSeconds ?? 0);
  const stripe429 = sum(fleet.map((install) => stripeResponses.statuses(install.stripe.port)[429] ?? 0));
  const intercomStatuses = intercomResponses.statuses(intercom.port);
  const idleDeltaMb = sum(rssIdle) - sum(rssBefore);
  const lost = sent.length - delivered.length;
  const failing = perInstall.filter((install) => install.problems.length > 0);
  for (const install of failing) say(`${install.installId} (${install.customers}): ${install.problems.join('; ')}`);
  say(`by size: ${JSON.stringify(bySize)}`);
  return {
    bench: 'fleet',
    installs: fleet.length,
    customers: totalCustomers,
    mix: options.mix ?? (options.quick ? QUICK_MIX : FULL_MIX),
    workerRoles,
    killWorker: killed ? { atSeconds: Math.round(killed.at) } : null,
    fleetSeconds: round(fleetSeconds, 1),
    bySize,
    smallestTimeline: {
      customers: smallest,
      alone: medianTimeline(aloneTimelines),
      fleet: medianTimeline(fleetTimelines),
    },
    workerTasks,
    emulatorLoopDelayMs: {
      mean: round(emulatorLoopDelay.mean / 1e6, 1),
      p99: round(emulatorLoopDelay.percentile(99) / 1e6, 1),
      max: round(emulatorLoopDelay.max / 1e6, 1),
    },
    liveLatencyMs: {
      duringBigImport: latency(duringBig),
      // The big install's own changes during its import wait with its import's Stripe reads and Intercom writes.
      duringBigImportOnBig: latency(duringBig.filter((charge) => charge.sent.install === big)),
      duringBigImportOnOthers: latency(duringBig.filter((charge) => charge.sent.install !== big)),
      after: latency(delivered.filter((charge) => !charge.sent.duringBigImport)),
      charges: sent.length,
      lost,
      relayLag: await relayLagFigures(`${api.url}/metrics`).catch(() => null),
      duringBigImportParts: await liveLatencyParts(pool, duringBig),
    },
    steady,
    webhookResponseMs: percentiles(deliveries.map((delivery) => delivery.durationMs)),
    webhookAnsweredByApi: await webhookAnswerFigures(`${api.url}/metrics`).catch(() => null),
    webhookFailures: deliveries.filter((delivery) => delivery.outcome === 'failed').length,
    stripe: {
      requestsPerSecondMaxPerAccount: Math.max(...perInstall.map((install) => install.stripeRequestsPerSecondMax)),
      bigAccountRequestsPerSecondMax: perInstall[0]?.stripeRequestsPerSecondMax,
      responses429: stripe429,
    },
    intercom: {
      requests: sum(intercomStatuses),
      responses429: intercomStatuses[429] ?? 0,
      share429: round((intercomStatuses[429] ?? 0) / Math.max(1, sum(intercomStatuses)), 4),
    },
    usage,
    killedWorkerUsage: killed?.usage ?? null,
    cpuMsPerCustomer: round((stackCpu * 1000) / totalCustomers, 1),
    workersRssMb: { before: rssBefore, idleAfter: rssIdle },
    rssGrowthPerInstallKb: round((idleDeltaMb * 1024) / fleet.length, 0),
    idleMemory: {
      freshWorkersMb: rssFresh,
      warmedMb: rssWarm,
      withEveryInstallCachedMb: rssWithInstalls,
      installsWoken: warmed.length + woken.length,
      /** On the one worker, for the installs woken after the warm-up (at most WORKER_MAX_CACHED_WORKFLOWS cached). */
      wokenInstallsMb: round(sum(rssWithInstalls) - sum(rssWarm), 0),
      perInstallKb: round(perInstallKb, 0),
    },
    histories: {
      eventsTotal: histories.reduce((total, h) => total + h.events, 0),
      bytesTotal: histories.reduce((total, h) => total + h.bytes, 0),
      big: histories[0],
      eventsPerCustomerBig: round((histories[0]?.events ?? 0) / largest, 2),
    },
    actions: { big: bigActions, perCustomerImported: round(bigActions.actions / largest, 3) },
    ok: failing.length === 0 && lost === 0 && fleet.every((install) => install.status?.state === 'live'),
  };
}

/**
 * Charges on customers of installs already live (their contacts exist) and of the big install while it imports (a
 * customer its import has written or has not read yet: the change competes with the import for the account's Stripe
 * budget and the workspace's Intercom calls), spread evenly, until `stop()`.
 */
async function chargeLoad(
  fleet: FleetInstall[],
  big: FleetInstall,
  perSecond: number,
  sent: SentCharge[],
  stop: () => boolean,
) {
  if (perSecond <= 0) return;
  const customersOf = new Map<FleetInstall, { ids: string[]; next: number }>();
  let n = 0;
  while (!stop()) {
    await sleep(1000 / perSecond);
    const live = fleet.filter((install) => install.liveAfterSeconds !== undefined && install.status?.state === 'live');
    if (big.installId !== undefined && big.liveAfterSeconds === undefined) live.push(big);
    if (live.length === 0) continue;
    const install = live[n % live.length] as FleetInstall;
    let customers = customersOf.get(install);
    if (!customers) {
      // Customers alone on their contact: Intercom keeps one event per name, contact and second, so two customers
      // sharing an email charged within a second would show as one event.
      const withEmail = install.stripe.admin
        .state('live')
        .customers.filter((customer) => customer.email && !customer.deleted);
      const perEmail = new Map<string, number>();
      for (const customer of withEmail) {
        const email = (customer.email as string).trim().toLowerCase();
        perEmail.set(email, (perEmail.get(email) ?? 0) + 1);
      }
      const ids = withEmail
        .filter((customer) => perEmail.get((customer.email as string).trim().toLowerCase()) === 1)
        .map((customer) => customer.id);
      customers = { ids, next: 0 };
      customersOf.set(install, customers);
    }
    // Each install goes round its own customers: one is charged again only after all the others.
    const customerId = customers.ids[customers.next++ % customers.ids.length] as string;
    n += 1;
    const charge = install.stripe.admin.createCharge({
      customer: customerId,
      amount: 500 + (n % 900),
      description: `fleet ${n}`,
    });
    sent.push({ install, customerId, charge, at: Date.now(), duringBigImport: big.liveAfterSeconds === undefined });
  }
}

/** Waits until every charge's Intercom data event arrived (or the timeout); their latencies. */
async function waitForCharges(
  intercom: Awaited<ReturnType<typeof startIntercomEmulator>>,
  sent: SentCharge[],
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const arrived: { sent: SentCharge; latencyMs: number }[] = [];
    const byWorkspace = new Map<string, ReturnType<typeof intercom.workspace>>();
    for (const charge of sent) {
      const workspaceId = charge.install.scenario.workspaceId;
      let workspace = byWorkspace.get(workspaceId);
      if (!workspace) byWorkspace.set(workspaceId, (workspace = intercom.workspace(workspaceId)));
      const event = workspace.events.find(
        (candidate) => candidate.event_name === chargedEvent && candidate.metadata.charge_id === charge.charge.id,
      );
      if (event) arrived.push({ sent: charge, latencyMs: event.received_at_ms - charge.at });
    }
    if (arrived.length === sent.length || Date.now() > deadline) return arrived;
    await sleep(2_000);
  }
}

/**
 * How fast the API itself answered deliveries to the installs' endpoints (its `http_request_duration_seconds`, from the
 * first middleware to the answer): `webhookResponseMs` is timed by the emulators, in the bench's own busy process.
 */
async function webhookAnswerFigures(url: string): Promise<Record<string, number>> {
  const total = await scrapeMetrics(url);
  const route = 'route="/webhooks/stripe/:installId"';
  const count = total('http_request_duration_seconds_count', route);
  const within = (le: string) => round(total('http_request_duration_seconds_bucket', route, `le="${le}"`) / count, 4);
  return { deliveries: count, shareWithin50ms: within('0.05'), shareWithin100ms: within('0.1') };
}

/**
 * The API relay's lag over the whole run (its webhook_outbox_lag_seconds histogram: from an event committed to
 * Temporal accepting its signal), for the part of committedToProcessed that is the relay's.
 */
async function relayLagFigures(url: string): Promise<Record<string, number>> {
  const total = await scrapeMetrics(url);
  const count = total('webhook_outbox_lag_seconds_count');
  const within = (le: string) => round(total(`webhook_outbox_lag_seconds_bucket{le="${le}"}`) / count, 4);
  return {
    signals: count,
    meanMs: round((total('webhook_outbox_lag_seconds_sum') * 1000) / count, 1),
    shareWithin100ms: within('0.1'),
    shareWithin1s: within('1'),
    shareWithin2500ms: within('2.5'),
  };
}

/**
 * Where the charges' live latency went, from the event log's times (same clock as the bench's): from the charge to its
 * event committed by the API (Stripe's delivery and our answer), from there to the event processed (the relay's
 * signal, the sync workflow's task, the batch up to its Intercom writes), and from there to the event seen in Intercom.
 */
async function liveLatencyParts(
  pool: Pool,
  delivered: Array<{ sent: SentCharge; latencyMs: number }>,
): Promise<Record<'toCommitted' | 'committedToProcessed' | 'processedToSeen', Percentiles>> {
  const { rows } = await pool.query<{ charge_id: string; received_ms: number; processed_ms: number | null }>(
    `SELECT payload->'data'->'object'->>'id' AS charge_id, extract(epoch FROM received_at) * 1000 AS received_ms,
            extract(epoch FROM processed_at) * 1000 AS processed_ms
     FROM stripe_events
     WHERE type = 'charge.succeeded' AND install_id = ANY($1) AND payload->'data'->'object'->>'id' = ANY($2)`,
    [[...new Set(delivered.map((charge) => charge.sent.install.installId))], delivered.map((c) => c.sent.charge.id)],
  );
  const logged = new Map(rows.map((row) => [row.charge_id, row]));
  const parts = delivered.flatMap(({ sent, latencyMs }) => {
    const row = logged.get(sent.charge.id);
    if (!row || row.processed_ms === null) return [];
    const received = Number(row.received_ms);
    const processed = Number(row.processed_ms);
    return [
      { toCommitted: received - sent.at, toProcessed: processed - received, toSeen: sent.at + latencyMs - processed },
    ];
  });
  return {
    toCommitted: percentiles(parts.map((part) => part.toCommitted)),
    committedToProcessed: percentiles(parts.map((part) => part.toProcessed)),
    processedToSeen: percentiles(parts.map((part) => part.toSeen)),
  };
}

async function callApi<T>(api: Api, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${api.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${api.adminToken}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * What a worker's task took while the fleet ran, on average, from its /metrics (the Temporal SDK's histograms and
 * Node's event loop lag since the worker started): where a workflow task's time goes between the server handing it
 * over and the worker answering it.
 */
async function workerTaskFigures(url: string): Promise<Record<string, number>> {
  const total = await scrapeMetrics(url);
  const meanMs = (histogram: string) =>
    round((total(`${histogram}_sum`) * 1000) / Math.max(1, total(`${histogram}_count`)), 1);
  return {
    workflowTasks: total('temporal_workflow_task_execution_latency_count'),
    workflowTaskScheduleToStartMs: meanMs('temporal_workflow_task_schedule_to_start_latency'),
    workflowTaskExecutionMs: meanMs('temporal_workflow_task_execution_latency'),
    activityScheduleToStartMs: meanMs('temporal_activity_schedule_to_start_latency'),
    activityExecutionMs: meanMs('temporal_activity_execution_latency'),
    eventLoopLagMeanMs: round(total('nodejs_eventloop_lag_mean_seconds') * 1000, 1),
    eventLoopLagP99Ms: round(total('nodejs_eventloop_lag_p99_seconds') * 1000, 1),
  };
}

/**
 * A process's /metrics page (Prometheus text format), read once: `total(name)` sums the samples of `name` over all
 * their labels, or the one sample whose name and labels are given whole (`…_bucket{le="1"}`); `total(name, ...labels)`
 * only those whose labels include each of `labels` (`route="…"`, `le="0.1"`), in whatever order they come.
 */
async function scrapeMetrics(url: string): Promise<(name: string, ...labels: string[]) => number> {
  const lines = (await (await fetch(url)).text()).split('\n');
  return (name, ...labels) =>
    sum(
      lines
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .filter((line) => labels.every((label) => line.includes(label)))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1))),
    );
}

/** Each part's median over the installs (a sum per install: see InstallTimeline), rounded; null with none. */
function medianTimeline(timelines: InstallTimeline[]): Record<string, unknown> | null {
  if (timelines.length === 0) return null;
  const medianOf = (values: number[]) => round(median(values) ?? NaN, 2);
  const { activityRunSecondsByType: _byType, ...totals } = timelines[0]!;
  const types = [...new Set(timelines.flatMap((timeline) => Object.keys(timeline.activityRunSecondsByType)))];
  return {
    ...Object.fromEntries(
      (Object.keys(totals) as Array<keyof typeof totals>).map((key) => [key, medianOf(timelines.map((t) => t[key]))]),
    ),
    activityRunSecondsByType: Object.fromEntries(
      types.map((type) => [type, medianOf(timelines.map((t) => t.activityRunSecondsByType[type] ?? 0))]),
    ),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

async function currentRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

if (require.main === module) void main();
