import type { Logger } from '../../src/logger';
import type { Config } from '../../src/config';
import { createShutdown, type Shutdown } from '../../src/infra/lifecycle';
import { installTemporalRuntime } from '../../src/infra/temporal-runtime';
import { stderrLogger, stopOnSignals } from './cli';
import { configForEmulators, startEmulators, type Emulators } from './emulators';
import { prepareEnvironment, type ScriptEnvironment } from './environment';

export interface StackScript {
  logger: Logger;
  shutdown: Shutdown;
}

/**
 * The life of a script that runs the stack (`npm run demo`, `npm run bench:support`): SDK logs through pino, ordered
 * shutdown, signals. `body` says whether the run failed; an interruption counts as failed. Exits when the shutdown is
 * requested (the body requests it, or a signal does) and has run.
 */
export async function runStackScript(name: string, body: (script: StackScript) => Promise<boolean>): Promise<never> {
  const logger = stderrLogger(name);
  installTemporalRuntime(logger);
  const shutdown = createShutdown(logger);
  const signals = stopOnSignals(shutdown, logger);
  let failed = false;
  try {
    failed = await body({ logger, shutdown });
  } catch (error) {
    // Interrupted by a signal before the result: shutdown is requested already; exit 1 without an error report.
    if (signals.received) failed = true;
    else shutdown.request(`${name} failed`, error);
  }
  await shutdown.requested;
  const code = await shutdown.run();
  process.exit(failed ? 1 : code);
}

/** Temporal, a fresh database, both emulators in this process, and the service's config pointing at them. */
export async function startStackEnvironment(
  name: string,
  script: StackScript,
  options: { headless: boolean; rateLimitPerMinute: number },
): Promise<{ environment: ScriptEnvironment; emulators: Emulators; config: Config }> {
  const environment = await prepareEnvironment({ name, ...script, headless: options.headless });
  const emulators = await startEmulators({ rateLimitPerMinute: options.rateLimitPerMinute, shutdown: script.shutdown });
  return { environment, emulators, config: await configForEmulators(environment.config, emulators) };
}
