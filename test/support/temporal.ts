import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isTemporalReachable } from '../../src/infra/temporal';
import { ensureTemporalServer } from '../../src/dev/temporal-cli';
import { installTemporalRuntime } from '../../src/infra/temporal-runtime';
import { testConfig, testLogger } from './config';
import { freePort } from '../../src/dev/ports';
import { registerTeardown } from './teardown';

/** SDK logs (the worker prints its whole webpack report) through the test logger: silent unless LOG_LEVEL is set. */
function quietSdkLogs() {
  try {
    installTemporalRuntime(testLogger());
  } catch {
    // A worker was created before any test asked for Temporal: the SDK's default runtime is in place; keep it.
  }
}

export interface TestTemporal {
  address: string;
  namespace: string;
}

let shared: Promise<TestTemporal> | undefined;

/**
 * One Temporal server for the whole run: the one on TEMPORAL_ADDRESS (or 127.0.0.1:7233) when it answers, else a
 * headless dev server on a free port with its database in a temp dir, stopped after the run.
 */
export function ensureTemporal(): Promise<TestTemporal> {
  shared ??= start();
  return shared;
}

/** The run's shared server if some test asked for it, without starting one. */
export function sharedTemporal(): Promise<TestTemporal> | undefined {
  return shared;
}

async function start(): Promise<TestTemporal> {
  quietSdkLogs();
  const namespace = 'default';
  const preferred = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const address = (await isTemporalReachable(preferred, namespace)) ? preferred : `127.0.0.1:${await freePort()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sis-test-temporal-'));
  const config = testConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH || undefined,
    DATA_DIR: dataDir,
  });
  const server = await ensureTemporalServer(config, testLogger(), { headless: true });
  registerTeardown(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { address, namespace };
}
