import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import type { Shutdown } from '../../src/infra/lifecycle';
import { redactedPaths, type Logger } from '../../src/logger';

/**
 * Parses `--name value` options (and `--flag` booleans) against a zod schema; a bad option is one line on stderr and
 * exit status 2. `npm run demo -- --customers 200` passes them through.
 */
export function parseOptions<S extends z.ZodObject>(schema: S, flags: readonly string[] = []): z.infer<S> {
  try {
    const { values } = parseArgs({
      options: Object.fromEntries(
        Object.keys(schema.shape).map((name) => [name, { type: flags.includes(name) ? 'boolean' : 'string' }] as const),
      ),
      strict: true,
    });
    return schema.parse(values);
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')
        : (error as Error).message;
    process.stderr.write(`${message}\n`);
    process.exit(2);
  }
}

/**
 * The service's logger (same redaction) writing to stderr, so stdout carries only the scripts' results. LOG_LEVEL
 * from the environment, else `warn`: the service's info lines would bury the demo's own progress lines.
 */
export function stderrLogger(name: string): Logger {
  const level = process.env.LOG_LEVEL || 'warn';
  return pino({ name, level, redact: { paths: redactedPaths, censor: '[redacted]' } }, pino.destination(2));
}

/** A line for a person on stderr (progress, where things are). */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * SIGINT/SIGTERM ask `shutdown` to stop. Under `npm run`, a terminal's Ctrl-C reaches this process more than once (the
 * terminal signals the whole process group, and npm and tsx relay it as well): repeats within 2 s are that same
 * keypress. A later one exits at once, without cleaning up.
 */
export function stopOnSignals(shutdown: Shutdown, logger: Logger): { readonly received: boolean } {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      say(`${signal}: stopping everything (again to exit at once)`);
      shutdown.request(signal);
    } else if (Date.now() - firstAt > 2_000) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get received() {
      return firstAt !== undefined;
    },
  };
}
