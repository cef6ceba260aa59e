import { ConfigError, loadConfig, type Config } from '../config';
import type { Logger } from '../logger';

/**
 * Entry points start with this: a bad variable is one line on stderr and exit status 1, not a stack trace.
 * `requireDatabaseUrl`: the API and worker run alone only against a given database; `npm start` can embed one.
 */
export function loadConfigOrExit(
  env: NodeJS.ProcessEnv,
  options: { requireDatabaseUrl: true },
): Config & { DATABASE_URL: string };
export function loadConfigOrExit(env?: NodeJS.ProcessEnv): Config;
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, options: { requireDatabaseUrl?: boolean } = {}) {
  try {
    const config = loadConfig(env);
    if (options.requireDatabaseUrl && config.DATABASE_URL === undefined) {
      throw new ConfigError(
        'invalid configuration: DATABASE_URL: required when the API or worker runs alone (npm start embeds PostgreSQL)',
      );
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

export interface Shutdown {
  /** Registers how to stop something just started; stops run in reverse order of registration. */
  add(name: string, stop: () => Promise<void>): void;
  /** Asks for shutdown (a signal; or a failure, given as `error`, which makes the exit status 1). */
  request(reason: string, error?: unknown): void;
  /** Resolves when shutdown has been requested. */
  readonly requested: Promise<void>;
  /** Stops everything registered; resolves with the exit code the process should end with. */
  run(): Promise<number>;
}

export function createShutdown(logger: Logger): Shutdown {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  let exitCode = 0;
  let markRequested: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => (markRequested = resolve));
  return {
    add: (name, stop) => void stops.push({ name, stop }),
    request(reason, error) {
      if (error === undefined) logger.info({ reason }, 'shutting down');
      else {
        // A configuration error is its own explanation (and already on stderr): no stack trace.
        const detail = error instanceof ConfigError ? { error: error.message } : { err: error };
        logger.error({ ...detail, reason }, 'shutting down after a failure');
        exitCode = 1;
      }
      markRequested();
    },
    requested,
    async run() {
      for (const { name, stop } of stops.splice(0).reverse()) {
        try {
          await stop();
          logger.info({ component: name }, 'stopped');
        } catch (error) {
          exitCode = 1;
          logger.error({ err: error, component: name }, 'failed to stop cleanly');
        }
      }
      return exitCode;
    },
  };
}

/** npm and tsx pass a terminal's Ctrl-C on, so one keypress can arrive twice within moments. */
const REPEATED_SIGNAL_MS = 2_000;

/**
 * SIGINT/SIGTERM ask `shutdown` to stop. Startup steps are not interrupted (a first run may be building the Temporal
 * CLI), so a second signal, a while after the first, is the way out: exit at once.
 */
export function requestShutdownOnSignals(shutdown: Shutdown, logger: Logger): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < REPEATED_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
    firstAt = Date.now();
    shutdown.request(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (process.env.npm_lifecycle_event) stopWhenParentExits(shutdown);
}

const PARENT_CHECK_MS = 1_000;

/**
 * Under `npm start` the parent is npm (the script `exec`s node, so no shell sits between them). npm passes SIGTERM
 * and SIGINT on, but when npm itself is killed outright (SIGKILL, a crashed terminal) nothing reaches us: we notice
 * being re-parented and stop as if signalled, rather than run on with nobody to stop us. Only under npm: a process
 * started some other way may outlive its parent on purpose (nohup).
 */
function stopWhenParentExits(shutdown: Shutdown): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    shutdown.request('parent process (npm) exited');
  }, PARENT_CHECK_MS);
  timer.unref();
}
