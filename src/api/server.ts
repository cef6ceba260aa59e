import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { API_POOL_OPTIONS } from '../db/pool';
import { openDatabase, runProcess } from '../infra/entry-point';
import { createMetricsRegistry } from '../infra/metrics';
import type { Logger } from '../logger';
import { createApp } from './app';
import { localUrl, type Config } from '../config';
import { secretBoxFor } from '../crypto/secret-box';
import { checkSecretsAtRest } from '../installs/secrets-at-rest';
import { createInstallWorkflows } from '../activities';
import { InstallService } from '../installs/install-service';
import { createInstallRouter } from './routes/installs';
import { createWebhookRouter } from './routes/webhooks';
import { requireAdminToken } from './auth';
import { temporalClientConnectionOptions } from '../infra/temporal-connection';
import { SessionStore } from '../auth/sessions';
import { OAuthStates } from '../auth/oauth-state';
import { sessionSigner, stateSigner } from '../auth/signing';
import { PreviewRunner } from '../temporal-client/previews';
import { createAssetsRouter } from './routes/assets';
import { createOAuthRouter } from './routes/oauth';
import { createPagesRouter } from './routes/pages';
import type { StripePacers } from '../vendors/stripe-pacer';
import { createCanvasRouter } from './routes/canvas';
import { createFinRouter } from './routes/fin';
import { createSupportAdminRouter } from './routes/support-admin';
import { StatusReporter } from '../status/report';
import { AlertChecker } from '../status/alerts';
import { OutboxRelay } from '../webhooks/outbox-relay';

export interface ApiServerDeps {
  config: Config;
  pool: Pool;
  temporal: Client;
  logger: Logger;
  metrics: Registry;
  /**
   * The worker's Stripe pacers when the worker runs in this process (`npm start`). Absent (`npm run api`): the API's
   * own, drawing on the same per-account budgets in PostgreSQL as every worker.
   */
  stripePacers?: StripePacers;
}

export interface ApiServer {
  /** Where it listens, with the actual port when PORT is 0. */
  url: string;
  /** Stops accepting, lets requests in flight finish (up to a grace period), then closes. */
  close(): Promise<void>;
}

/**
 * Chosen, not inherited (Node's defaults: 300 s per request, 60 s for headers). Bodies are at most 1 MiB (webhooks)
 * or 64 KiB (admin JSON), so a request still arriving after HTTP_REQUEST_TIMEOUT_SECONDS (30) is a slow client holding
 * a socket, not Stripe; headers get 10 s (at most the request's time). 16 KiB of headers is far above what Stripe or a
 * browser sends (a larger block is answered 431).
 */
const serverLimits = (config: Config) => ({
  requestTimeout: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
  headersTimeout: Math.min(10_000, config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000),
  maxHeaderSize: 16 * 1024,
  // Node checks those timeouts only this often (default 30 s, so a slow body was held up to 60 s; issue 16).
  connectionsCheckingInterval: 1_000,
});

export interface ApiRouters {
  routers: Router[];
  /** The admin bearer-token guard every /installs route carries (the route-walk test finds them by it). */
  requireAdmin: Middleware;
  /** Sends the installs' alerts (startApiServer runs it every ALERT_CHECK_SECONDS). */
  alerts: AlertChecker;
  /** Hands committed webhook events to the sync workflows (startApiServer starts it). */
  relay: OutboxRelay;
}

/** Every router the API serves, in mounting order after health. */
export function createApiRouters(deps: ApiServerDeps): ApiRouters {
  const secrets = secretBoxFor(deps.config);
  const workflows = createInstallWorkflows(deps);
  const service = new InstallService({ ...deps, secrets, workflows });
  const requireAdmin = requireAdminToken(deps.config.ADMIN_TOKEN);
  const reporter = new StatusReporter({ pool: deps.pool, service });
  const installRouter = createInstallRouter({
    service,
    reporter,
    config: deps.config,
    requireAdmin,
  });
  const relay = new OutboxRelay({ ...deps, workflows });
  const webhookRouter = createWebhookRouter({ ...deps, secrets, workflows, outbox: relay });
  const sessions = new SessionStore(deps.pool, sessionSigner(deps.config));
  const states = new OAuthStates(deps.pool, stateSigner(deps.config));
  const previews = new PreviewRunner({ client: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE });
  const browserRouters = [
    createAssetsRouter(),
    createOAuthRouter({ ...deps, secrets, sessions, states }),
    createPagesRouter({ ...deps, secrets, sessions, service, previews, reporter, workflows }),
  ];
  const supportRouters = [
    createCanvasRouter({ ...deps, workflows }),
    createFinRouter(deps),
    createSupportAdminRouter({
      ...deps,
      secrets,
      workflows,
      requireAdmin,
      driftPage: (install, offset, limit) => service.driftJob(install, null, offset, limit),
    }),
  ];
  const alerts = new AlertChecker({ ...deps, secrets, reporter });
  return {
    routers: [installRouter, webhookRouter, ...browserRouters, ...supportRouters],
    requireAdmin,
    alerts,
    relay,
  };
}

/** The API with every router; `npm start` and `npm run api` both start it through here. */
export async function startApiServer(deps: ApiServerDeps): Promise<ApiServer> {
  const { routers, alerts, relay } = createApiRouters(deps);
  const app = createApp({ ...deps, routers });
  const handle = app.callback();
  // Koa settles every request itself (a failure goes to its error handling), so the promise is only let go.
  const server = createServer(serverLimits(deps.config), (request, response) => void handle(request, response));
  // Idle keep-alive sockets close before a load balancer's usual 60 s idle timeout could reuse a dying one.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.PORT, deps.config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = localUrl(deps.config, (server.address() as AddressInfo).port);
  deps.logger.info({ url }, 'API listening');
  const stopAlerts = startAlertChecks(alerts, deps.config.ALERT_CHECK_SECONDS);
  await relay.start();
  return {
    url,
    close: async () => {
      await stopAlerts();
      await closeServer(server);
      // After the server: deliveries answered during the grace period are signalled (or left for the next relay).
      await relay.close();
    },
  };
}

/** Checks the installs with an alert webhook every `everySeconds` (one check at a time); returns the stop. */
function startAlertChecks(checker: AlertChecker, everySeconds: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= checker.checkAll().finally(() => {
      running = null;
    });
  }, everySeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

async function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  // Keep-alive connections with no request in flight would otherwise hold close() open until they time out.
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

/** `npm run api`: the API alone, against DATABASE_URL and TEMPORAL_ADDRESS (docker-compose runs it this way). */
function main() {
  return runProcess(
    async ({ config, logger, shutdown }) => {
      const pool = await openDatabase(config.DATABASE_URL, logger, shutdown, API_POOL_OPTIONS);
      await checkSecretsAtRest(pool, secretBoxFor(config), logger);
      // Lazy: the API starts while Temporal is down and reports it on /healthz until it is back; webhooks are still
      // answered and wait in the signal outbox.
      const connection = Connection.lazy(temporalClientConnectionOptions(config));
      shutdown.add('temporal connection', () => connection.close());
      const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      const api = await startApiServer({ config, pool, temporal, logger, metrics: createMetricsRegistry() });
      shutdown.add('API', api.close);
    },
    { requireDatabaseUrl: true },
  );
}

if (require.main === module) void main();
