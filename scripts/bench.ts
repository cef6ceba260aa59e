/**
 * `npm run bench [-- --customers 10000 --rate-limit 10000 --intercom-latency-ms 150 --stripe-latency-ms 400 --json]`:
 * the import at Intercom's real rate limit (10,000 requests per minute, enforced in 10-second windows of 1,666), with
 * realistic latency by default (`0` for the CPU-bound case), against two baselines in the same invocation.
 *
 * Per run, each on fresh emulators seeded alike (a Stripe account with N customers, an Intercom workspace where 15% of
 * them are already users):
 * - ours: the service as `npm start` runs it (src/main.ts as a child process), installed through the real API, timed
 *   until GET /installs/:id says `live`;
 * - tuned: scripts/lib/direct-loop.ts `tuned` (same clients, batching and calls in flight; no Temporal, no
 *   PostgreSQL), a child process;
 * - naive: the same script one customer at a time (search, then create or update), on at most --naive-customers
 *   customers (its seconds are also given per customer and scaled to N).
 *
 * Whole-stack accounting per part: CPU seconds and peak RSS of the service, the Temporal server (its own dev server
 * unless --shared-temporal), PostgreSQL (the backends of the run's database: set DATABASE_URL), this process (the
 * emulators) and the baseline's process. Then ours ÷ tuned and ours ÷ naive for time, CPU and memory.
 *
 * Output on stdout: a table for people, or with --json one line per run holding every figure. Then, unless
 * --skip-live, scripts/bench-live.ts (live sync latency).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createShutdown, type Shutdown } from '../src/infra/lifecycle';
import type { Logger } from '../src/logger';
import { parseOptions, say, stderrLogger, stopOnSignals } from './lib/cli';
import { configForEmulators, startEmulators, sum } from './lib/emulators';
import { prepareEnvironment, type ScriptEnvironment } from './lib/environment';
import { importResult, installAndWait, problems, round, seedScenario } from './lib/scenario';
import { startServiceProcess } from './lib/service-process';
import { findTemporalServerPid, StackMeter, type StackUsage } from './lib/process-usage';
import type { DirectLoopInput, DirectLoopResult } from './lib/direct-loop';
import { freePort } from '../src/dev/ports';
import { installHistory } from './lib/history';
import { CallTimeline } from './lib/call-timeline';

const optionsSchema = z.object({
  customers: z.coerce.number().int().min(1).max(200_000).default(10_000),
  'rate-limit': z.coerce.number().int().min(0).default(10_000),
  'intercom-latency-ms': z.coerce.number().int().min(0).max(10_000).default(150),
  'stripe-latency-ms': z.coerce.number().int().min(0).max(10_000).default(400),
  runs: z.coerce.number().int().min(1).max(20).default(1),
  seed: z.coerce.number().int().default(1),
  'preexisting-share': z.coerce.number().min(0).max(1).default(0.15),
  'naive-customers': z.coerce.number().int().min(0).default(500),
  'skip-baselines': z.boolean().default(false),
  'shared-temporal': z.boolean().default(false),
  /** Writes a V8 CPU profile of the service process (node --cpu-prof) into this directory. */
  'cpu-prof-dir': z.string().min(1).optional(),
  /** More node flags for the service process, space-separated (`--trace-gc`, `--max-semi-space-size=32`). */
  'service-node-args': z.string().default(''),
  json: z.boolean().default(false),
  'skip-live': z.boolean().default(false),
});
type Options = z.infer<typeof optionsSchema>;

const liveBench = path.join(__dirname, 'bench-live.ts');
const directLoop = path.join(__dirname, 'lib', 'direct-loop.ts');

async function main(): Promise<void> {
  const options = parseOptions(optionsSchema, ['skip-live', 'skip-baselines', 'shared-temporal', 'json']);
  const logger = stderrLogger('bench');
  const shutdown = createShutdown(logger);
  const signals = stopOnSignals(shutdown, logger);
  let failed = false;
  try {
    // A Temporal dev server of our own, so its CPU and memory are this benchmark's alone.
    if (!options['shared-temporal'] && !process.env.TEMPORAL_ADDRESS) {
      process.env.TEMPORAL_ADDRESS = `127.0.0.1:${await freePort()}`;
    }
    const environment = await prepareEnvironment({ name: 'bench', logger, shutdown, headless: true });
    const temporalPid = await findTemporalServerPid(environment.config.TEMPORAL_ADDRESS);
    for (let run = 1; run <= options.runs; run++) {
      const line = await benchRun(run, options, environment, temporalPid, logger, shutdown);
      console.log(options.json ? JSON.stringify(line) : table(line));
      failed ||= !line.ours.ok;
    }
  } catch (error) {
    failed = true;
    if (!signals.received) logger.error({ err: error }, 'import benchmark failed');
  }
  const code = await shutdown.run();
  if (code !== 0) failed = true;
  if (!options['skip-live'] && !failed && existsSync(liveBench)) failed = (await runLiveBench()) !== 0;
  process.exit(failed ? 1 : 0);
}

async function benchRun(
  run: number,
  options: Options,
  environment: ScriptEnvironment,
  temporalPid: number | null,
  logger: Logger,
  shutdown: Shutdown,
) {
  const conditions = {
    customers: options.customers,
    rateLimitPerMinute: options['rate-limit'],
    intercomLatencyMs: options['intercom-latency-ms'],
    stripeLatencyMs: options['stripe-latency-ms'],
  };
  const ours = await ourImport(run, options, environment, temporalPid, logger, shutdown);
  if (options['skip-baselines']) return { bench: 'import' as const, run, ...conditions, ours };
  const tuned = await baseline('tuned', options.customers, run, options, temporalPid, logger);
  const naiveCustomers = Math.min(options['naive-customers'], options.customers);
  const naive = naiveCustomers > 0 ? await baseline('naive', naiveCustomers, run, options, temporalPid, logger) : null;
  // The prelude (catalogue and charges) does not grow with the sample; the per-customer part is scaled to all.
  const naiveSecondsScaled = naive
    ? round(naive.preludeSeconds + ((naive.seconds - naive.preludeSeconds) / naive.customers) * options.customers, 1)
    : null;
  const ourStackCpu = sumCpu(ours.stack, ['service', 'temporal', 'postgres']);
  return {
    bench: 'import' as const,
    run,
    ...conditions,
    ours,
    tuned,
    naive: naive && { ...naive, secondsScaledToAll: naiveSecondsScaled },
    ratios: {
      timeVsTuned: ratio(ours.seconds, tuned.seconds),
      serviceCpuVsTuned: ratio(ours.stack.service?.cpuSeconds, tuned.cpuSeconds),
      stackCpuVsTuned: ratio(ourStackCpu, tuned.cpuSeconds),
      servicePeakRssVsTuned: ratio(ours.stack.service?.peakRssMb, tuned.peakRssMb),
      timeVsFloor: ratio(ours.seconds, ours.floorSeconds),
      timeVsNaive: ratio(ours.seconds, naiveSecondsScaled),
      serviceCpuVsNaive: naive
        ? ratio(ours.stack.service?.cpuSeconds, (naive.cpuSeconds / naive.customers) * options.customers)
        : null,
    },
  };
}

/** Fresh emulators with the run's latency and limit, seeded alike for ours and the baselines. */
async function seededEmulators(run: number, customers: number, options: Options, shutdown: Shutdown) {
  const emulators = await startEmulators({
    rateLimitPerMinute: options['rate-limit'],
    intercomLatencyMs: options['intercom-latency-ms'],
    stripeLatencyMs: options['stripe-latency-ms'],
    shutdown,
  });
  const scenario = seedScenario(emulators, {
    customers,
    preexistingShare: options['preexisting-share'],
    seed: options.seed + run - 1,
  });
  return { emulators, scenario };
}

async function ourImport(
  run: number,
  options: Options,
  environment: ScriptEnvironment,
  temporalPid: number | null,
  logger: Logger,
  shutdown: Shutdown,
) {
  // Emulators per run (a fresh account and workspace), closed when the run ends.
  const runShutdown = createShutdown(logger);
  try {
    const { emulators, scenario } = await seededEmulators(run, options.customers, options, runShutdown);
    const config = await configForEmulators(environment.config, emulators);
    say(`run ${run}: starting the service`);
    const profileDir = options['cpu-prof-dir'];
    const service = await startServiceProcess(config, {
      logLevel: process.env.LOG_LEVEL || 'warn',
      nodeArgs: [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : []),
        ...options['service-node-args'].split(' ').filter(Boolean),
      ],
    });
    let stopped = false;
    runShutdown.add('service process', async () => {
      if (!stopped) await service.stop();
    });
    say(
      `run ${run}: ${scenario.customers} Stripe customers (${scenario.withEmail} with an email), ` +
        `${scenario.preexisting} already Intercom users; Intercom limit ${options['rate-limit']}/min, latency ` +
        `Intercom ${options['intercom-latency-ms']} ms, Stripe ${options['stripe-latency-ms']} ms`,
    );
    const meter = new StackMeter(
      { service: service.pid, temporal: temporalPid, emulators: process.pid },
      config.DATABASE_URL,
    );
    await meter.start();
    const timeline = new CallTimeline(emulators, scenario.workspaceId);
    timeline.start();
    const minimumSeconds = options['rate-limit'] > 0 ? (options.customers * 1.1) / (options['rate-limit'] / 60) : 0;
    const result = importResult(
      emulators,
      scenario,
      await installAndWait({ url: service.url, adminToken: config.ADMIN_TOKEN }, scenario, {
        // Four times the floor, and at least 50 customers/s when there is no floor (`--rate-limit 0`).
        timeoutMs: (300 + 4 * minimumSeconds + options.customers / 50) * 1000,
        stop: shutdown.requested,
      }),
    );
    const stack = await meter.stop();
    const calls = timeline.stop();
    const history = await installHistory(config, result.installId);
    stopped = true;
    const serviceExit = await service.stop();
    const found = problems(result, scenario);
    for (const problem of found) say(`run ${run}: PROBLEM: ${problem}`);
    return {
      seconds: result.seconds,
      customersPerSecond: round(result.customers / result.seconds, 1),
      intercomCalls: result.intercomCalls,
      intercomCallsPerCustomer: round(result.intercomCalls / scenario.withEmail, 3),
      floorSeconds: options['rate-limit'] > 0 ? round(result.intercomCalls / (options['rate-limit'] / 60), 1) : 0,
      intercom429: result.intercom429,
      intercom429Share: round(result.intercom429 / Math.max(1, result.intercomCalls), 4),
      stripeCalls: result.stripeCalls,
      stripeCallsPer100Customers: round((result.stripeCalls / result.customers) * 100, 2),
      stripe429: result.stripe429,
      statusErrors: result.statusErrors,
      stack,
      history: {
        ...history,
        eventsPerCustomer: round(history.events / result.customers, 2),
        bytesPerCustomer: Math.round(history.bytes / result.customers),
      },
      withEmail: result.withEmail,
      contacts: result.contacts,
      created: result.created,
      matched: result.matched,
      skippedNoEmail: result.skippedNoEmail,
      duplicateContacts: result.duplicateContacts,
      failed: result.failed,
      intercomCallsByEndpoint: result.intercomCallsByEndpoint,
      stripeCallsByEndpoint: emulators.stripe.requestCounts(),
      ...calls,
      serviceExit,
      ok: found.length === 0 && serviceExit === 0,
    };
  } finally {
    await runShutdown.run();
  }
}

/** A direct loop (scripts/lib/direct-loop.ts) as a child process against fresh emulators seeded as ours were. */
async function baseline(
  mode: DirectLoopInput['mode'],
  customers: number,
  run: number,
  options: Options,
  temporalPid: number | null,
  logger: Logger,
) {
  const runShutdown = createShutdown(logger);
  try {
    // Seeded with the full count, so the first `customers` of the list are the same customers ours imported.
    const { emulators, scenario } = await seededEmulators(run, options.customers, options, runShutdown);
    say(`run ${run}: ${mode} direct loop over ${customers} customers`);
    const input: DirectLoopInput = {
      mode,
      stripeApiBase: emulators.stripe.url,
      intercomApiBase: emulators.intercom.url,
      stripeKey: scenario.stripeKey,
      intercomToken: scenario.intercomToken,
      maxCustomers: customers,
    };
    const meter = new StackMeter({ temporal: temporalPid, emulators: process.pid }, undefined);
    await meter.start();
    const timeline = new CallTimeline(emulators, scenario.workspaceId);
    timeline.start();
    const result = await runChild(directLoop, [JSON.stringify(input)]);
    const calls = timeline.stop();
    const stack = await meter.stop();
    const statuses = emulators.statuses();
    const intercomCalls = sum(emulators.intercom.requestCounts(scenario.workspaceId));
    return {
      ...result,
      seconds: round(result.seconds, 1),
      preludeSeconds: round(result.preludeSeconds, 1),
      cpuSeconds: round(result.cpuSeconds, 2),
      intercomCalls,
      intercom429: statuses.intercom[429] ?? 0,
      stripeCalls: sum(emulators.stripe.requestCounts()),
      stack,
      ...calls,
    };
  } finally {
    await runShutdown.run();
  }
}

function runChild(script: string, args: string[]): Promise<DirectLoopResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as DirectLoopResult) : reject(new Error(`${script} exited with ${code}`)),
    ),
  );
}

function ratio(ours: number | null | undefined, theirs: number | null | undefined): number | null {
  return ours == null || theirs == null || theirs === 0 ? null : round(ours / theirs, 2);
}

function sumCpu(stack: StackUsage, parts: string[]): number {
  return round(
    parts.reduce((total, part) => total + (stack[part]?.cpuSeconds ?? 0), 0),
    2,
  );
}

type BenchLine = Awaited<ReturnType<typeof benchRun>>;

/** The run as a table for people: one row per contender, one per stack part of ours. */
function table(line: BenchLine): string {
  const rows: string[][] = [['', 'seconds', 'CPU s', 'peak RSS MB', 'Intercom calls', '429s']];
  const { ours } = line;
  rows.push([
    'ours (service)',
    String(ours.seconds),
    String(ours.stack.service?.cpuSeconds ?? '?'),
    String(ours.stack.service?.peakRssMb ?? '?'),
    String(ours.intercomCalls),
    String(ours.intercom429),
  ]);
  for (const part of ['temporal', 'postgres', 'emulators']) {
    const usage = ours.stack[part];
    if (usage) rows.push([`  ours: ${part}`, '', String(usage.cpuSeconds), String(usage.peakRssMb), '', '']);
  }
  if ('tuned' in line) {
    for (const [name, result] of [
      ['tuned loop', line.tuned],
      ['naive loop', line.naive],
    ] as const) {
      if (!result) continue;
      const scaled =
        'secondsScaledToAll' in result ? ` (${result.customers}; ~${result.secondsScaledToAll} for all)` : '';
      rows.push([
        name,
        `${result.seconds}${scaled}`,
        String(result.cpuSeconds),
        String(result.peakRssMb),
        String(result.intercomCalls),
        String(result.intercom429),
      ]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  const ratios = 'ratios' in line ? Object.entries(line.ratios).map(([name, value]) => `${name} ${value ?? '-'}`) : [];
  return [
    `run ${line.run}: ${line.customers} customers, Intercom ${line.rateLimitPerMinute}/min, latency Intercom ` +
      `${line.intercomLatencyMs} ms / Stripe ${line.stripeLatencyMs} ms; floor ${ours.floorSeconds} s; ok ${ours.ok}`,
    ...lines,
    ratios.length > 0 ? `ours ÷ theirs: ${ratios.join(', ')}` : '',
  ].join('\n');
}

/** The webhook latency benchmark, as its own process; its JSON lines go to our stdout. */
function runLiveBench(): Promise<number> {
  say('webhook latency benchmark: scripts/bench-live.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', liveBench], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

void main();
