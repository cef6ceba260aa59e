import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import { runTaskQueues } from './run-registry';

export function randomSuffix(): string {
  return randomBytes(5).toString('hex');
}

/**
 * Defaults for tests, not read from the environment (so a developer's shell cannot change them) except LOG_LEVEL.
 * Own task queue: tests sharing a Temporal server must not take each other's tasks. DATA_DIR in the temp dir: nothing
 * a test starts lands in the checkout. PORT 0: any free port.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const suffix = randomSuffix();
  const config = {
    ...loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' }),
    PORT: 0,
    TEMPORAL_TASK_QUEUE: `test-${suffix}`,
    DATA_DIR: path.join(tmpdir(), `sis-test-${suffix}`),
    // Every test browser comes from 127.0.0.1: the per-address limit is tested on its own (anonymous-requests).
    OAUTH_STARTS_PER_MINUTE: 10_000,
    ...overrides,
  };
  runTaskQueues.add(config.TEMPORAL_TASK_QUEUE);
  return config;
}

/** Silent unless LOG_LEVEL is set, e.g. `LOG_LEVEL=debug npm test`. */
export function testLogger(): Logger {
  return createLogger(process.env.LOG_LEVEL ?? 'silent', 'test');
}
