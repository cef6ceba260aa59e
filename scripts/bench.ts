/**
 * `npm run bench [-- --customers 10000 --rate-limit 10000 --runs 1 --skip-live]`: the import at Intercom's real rate
 * limit (10,000 requests per minute, enforced in 10-second windows of 1,666). Per run: a fresh Stripe account with
 * N seeded customers, a fresh Intercom workspace where 15% of them are already users, and the service started as
 * `npm start` runs it (src/main.ts, API + worker in one child process, so its memory is measured alone), installed
 * through the real API. Prints one JSON line per run on stdout:
 *
 * - seconds: POST /installs until GET /installs/:id says `live` (every customer written);
 * - customersPerSecond: customers / seconds;
 * - intercomCalls, intercomCallsPerCustomer: every Intercom request (429s included) per imported customer with an
 *   email; target ≤ 1.1 (one write each, plus one search per 15 emails and the attribute setup);
 * - floorSeconds: the least time those calls can take at the rate limit;
 * - intercom429 / stripe429: rate-limited answers the service received;
 * - stripeCalls; servicePeakRssMb and serviceCpuSeconds: the service process (Linux /proc);
 * - the import's counts and an `ok` verdict (no duplicates, every distinct email one contact, nothing failed).
 *
 * Then, when scripts/bench-live.ts exists, the webhook latency benchmark (unless --skip-live).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createShutdown, type Shutdown } from '../src/infra/lifecycle';
import type { Logger } from '../src/logger';
import { parseOptions, say, stderrLogger, stopOnSignals } from './lib/cli';
import { configForEmulators, startEmulators } from './lib/emulators';
import { prepareEnvironment, type ScriptEnvironment } from './lib/environment';
import { importResult, installAndWait, problems, round, seedScenario } from './lib/scenario';
import { startServiceProcess } from './lib/service-process';

const optionsSchema = z.object({
  customers: z.coerce.number().int().min(1).max(200_000).default(10_000),
  'rate-limit': z.coerce.number().int().min(0).default(10_000),
  runs: z.coerce.number().int().min(1).max(20).default(1),
  seed: z.coerce.number().int().default(1),
  'preexisting-share': z.coerce.number().min(0).max(1).default(0.15),
  'skip-live': z.boolean().default(false),
});
type Options = z.infer<typeof optionsSchema>;

const liveBench = path.join(__dirname, 'bench-live.ts');

async function main(): Promise<void> {
  const options = parseOptions(optionsSchema, ['skip-live']);
  const logger = stderrLogger('bench');
  const shutdown = createShutdown(logger);
  const signals = stopOnSignals(shutdown, logger);
  let failed = false;
  try {
    const environment = await prepareEnvironment({ name: 'bench', logger, shutdown, headless: true });
    for (let run = 1; run <= options.runs; run++) {
      const line = await importRun(run, options, environment, logger, shutdown);
      console.log(JSON.stringify(line));
      failed ||= !line.ok;
    }
  } catch (error) {
    failed = true;
    if (!signals.received) logger.error({ err: error }, 'import benchmark failed');
  }
  const code = await shutdown.run();
  if (code !== 0) failed = true;
  if (!options['skip-live'] && !failed && existsSync(liveBench)) failed = (await runLiveBench()) !== 0;
  else if (!existsSync(liveBench)) say('(no scripts/bench-live.ts: webhook latency benchmark skipped)');
  process.exit(failed ? 1 : 0);
}

async function importRun(
  run: number,
  options: Options,
  environment: ScriptEnvironment,
  logger: Logger,
  shutdown: Shutdown,
) {
  // Emulators per run (a fresh account and workspace), closed when the run ends.
  const runShutdown = createShutdown(logger);
  try {
    const emulators = await startEmulators({ rateLimitPerMinute: options['rate-limit'], shutdown: runShutdown });
    const config = await configForEmulators(environment.config, emulators);
    say(`run ${run}: starting the service`);
    const service = await startServiceProcess(config, { logLevel: process.env.LOG_LEVEL || 'warn' });
    let stopped = false;
    runShutdown.add('service process', async () => {
      if (!stopped) await service.stop();
    });
    const scenario = seedScenario(emulators, {
      customers: options.customers,
      preexistingShare: options['preexisting-share'],
      seed: options.seed + run - 1,
    });
    say(
      `run ${run}: ${scenario.customers} Stripe customers (${scenario.withEmail} with an email), ` +
        `${scenario.preexisting} already Intercom users; Intercom limit ${options['rate-limit']}/min`,
    );
    const minimumSeconds = options['rate-limit'] > 0 ? (options.customers * 1.1) / (options['rate-limit'] / 60) : 0;
    const result = importResult(
      emulators,
      scenario,
      await installAndWait({ url: service.url, adminToken: config.ADMIN_TOKEN }, scenario, {
        timeoutMs: (300 + 4 * minimumSeconds) * 1000,
        stop: shutdown.requested,
      }),
    );
    const usage = await service.usage();
    stopped = true;
    const serviceExit = await service.stop();
    const found = problems(result, scenario);
    const stripeCallsByEndpoint = emulators.stripe.requestCounts();
    for (const problem of found) say(`run ${run}: PROBLEM: ${problem}`);
    const importedWithEmail = scenario.withEmail;
    return {
      bench: 'import',
      run,
      customers: result.customers,
      rateLimitPerMinute: options['rate-limit'],
      seconds: result.seconds,
      customersPerSecond: round(result.customers / result.seconds, 1),
      intercomCalls: result.intercomCalls,
      intercomCallsPerCustomer: round(result.intercomCalls / importedWithEmail, 3),
      floorSeconds: options['rate-limit'] > 0 ? round(result.intercomCalls / (options['rate-limit'] / 60), 1) : 0,
      intercom429: result.intercom429,
      stripeCalls: result.stripeCalls,
      stripe429: result.stripe429,
      statusErrors: result.statusErrors,
      servicePeakRssMb: usage.peakRssMb,
      serviceCpuSeconds: usage.cpuSeconds,
      benchProcessPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      withEmail: result.withEmail,
      contacts: result.contacts,
      created: result.created,
      matched: result.matched,
      skippedNoEmail: result.skippedNoEmail,
      duplicateContacts: result.duplicateContacts,
      failed: result.failed,
      intercomCallsByEndpoint: result.intercomCallsByEndpoint,
      stripeCallsByEndpoint,
      serviceExit,
      ok: found.length === 0 && serviceExit === 0,
    };
  } finally {
    await runShutdown.run();
  }
}

/** The webhook latency benchmark, as its own process; its JSON lines go to our stdout. */
function runLiveBench(): Promise<number> {
  say('webhook latency benchmark: scripts/bench-live.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', liveBench], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

void main();
