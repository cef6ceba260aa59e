import { startIntercomEmulator, type IntercomEmulator } from '../../emulators/intercom';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../../emulators/stripe';
import type { Config } from '../../src/config';
import type { Logger } from '../../src/logger';
import { Client, Connection } from '@temporalio/client';
import { createShutdown, type Shutdown } from '../../src/infra/lifecycle';
import { freePort } from '../../src/dev/ports';
import { startServiceProcess } from '../../scripts/lib/service-process';
import { startService, type RunningService } from '../../src/service';
import { createInstallWorkflows } from '../../src/activities';
import type { InstallWorkflows } from '../../src/temporal-client/workflows';
import { testConfig, testLogger } from './config';
import { createTestDatabase, type TestDatabase } from './database';
import { ensureTemporal, type TestTemporal } from './temporal';
import { registerTeardown } from './teardown';

export interface TestStack {
  config: Config;
  service: RunningService;
  workflows: InstallWorkflows;
  stripe: StripeEmulator;
  intercom: IntercomEmulator;
  db: TestDatabase;
  /** `fetch` against the API with the admin token. */
  api(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  stripe?: StripeEmulatorOptions;
  intercom?: Parameters<typeof startIntercomEmulator>[0];
  /** false: no in-process worker (the test runs its own, e.g. as a child process it can kill). */
  worker?: boolean;
  config?: Partial<Config>;
  /** Where the service logs (default: silent unless LOG_LEVEL is set). */
  logger?: Logger;
  /** A Temporal server the test started itself (e.g. to restart it); default: the shared one. */
  temporal?: TestTemporal;
  /** Admin URL of a PostgreSQL server the test started itself (e.g. to stop it); default: the shared one. */
  databaseServer?: string;
  /**
   * Run the service (API and worker) as `npm start` does, in a child process, so that its event loop is not the
   * emulators' (benchmarks). The stack's `service.temporal` and `service.pool` are then this process's own clients.
   */
  serviceProcess?: boolean;
}

/**
 * The service end to end as a user runs it (API, worker, real Temporal, real Postgres), with both emulators in
 * this process. Each stack has its own database and task queue, so stacks never share work.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const [stripe, intercom, db, temporal] = await Promise.all([
    startStripeEmulator({
      port: 0,
      rateLimitPerSecond: 0,
      endpointRateLimitPerSecond: 0,
      // The service's webhook URL is on 127.0.0.1, which real Stripe refuses.
      allowLocalWebhookUrls: true,
      ...options.stripe,
    }),
    startIntercomEmulator({ port: 0, ...options.intercom }),
    createTestDatabase({ server: options.databaseServer }),
    options.temporal ?? ensureTemporal(),
  ]);
  const config = testConfig({
    DATABASE_URL: db.connectionString,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    STRIPE_API_BASE: stripe.url,
    INTERCOM_API_BASE: intercom.url,
    ALLOW_TEST_MODE: true,
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    ...options.config,
  });
  const logger = options.logger ?? testLogger();
  const shutdown = createShutdown(logger);
  const service = options.serviceProcess
    ? await startServiceInChild(config, db, shutdown)
    : await startService(config, logger, shutdown, { worker: options.worker });
  // Stripe must reach our webhook endpoint: the API's real port is known only now.
  config.PUBLIC_URL = service.apiUrl;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await shutdown.run();
      await Promise.all([stripe.close(), intercom.close()]);
      await db.drop();
    })());
  registerTeardown(close);
  return {
    config,
    service,
    workflows: createInstallWorkflows({ config, temporal: service.temporal }),
    stripe,
    intercom,
    db,
    api(path, init = {}) {
      const token = init.token === undefined ? config.ADMIN_TOKEN : init.token;
      return fetch(`${service.apiUrl}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(token !== null && { authorization: `Bearer ${token}` }),
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    },
    close,
  };
}

async function startServiceInChild(config: Config, db: TestDatabase, shutdown: Shutdown): Promise<RunningService> {
  config.PORT = await freePort();
  config.PUBLIC_URL = `http://127.0.0.1:${config.PORT}`;
  const child = await startServiceProcess(config, { logLevel: process.env.LOG_LEVEL ?? 'warn' });
  shutdown.add('service process', () => child.stop().then(() => undefined));
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  shutdown.add('temporal client connection', () => connection.close());
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  return { apiUrl: child.url, temporalUiUrl: null, pool: db.pool, temporal };
}

/** A stack started before the suite's tests and closed after them (mocha hooks): call the result for the stack. */
export function useTestStack(options: TestStackOptions = {}): () => TestStack {
  let stack: TestStack | undefined;
  before(async () => {
    stack = await startTestStack(options);
  });
  after(() => stack?.close());
  return () => {
    if (!stack) throw new Error('the test stack has not started');
    return stack;
  };
}

/** For eventually(): whether the Intercom workspace holds the data event of a Stripe charge. */
export function chargeInIntercom(
  stack: Pick<TestStack, 'intercom'>,
  workspaceId: string,
  charge: { id: string },
): () => Promise<true | undefined> {
  return async () =>
    stack.intercom.workspace(workspaceId).events.some((event) => event.metadata?.charge_id === charge.id) || undefined;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
