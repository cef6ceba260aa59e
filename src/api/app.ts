import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Client } from '@temporalio/client';
import Koa, { type Middleware } from 'koa';
import type { Pool } from 'pg';
import { Histogram, type Registry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { errorMiddleware } from './errors';
import { errorPage } from './pages/layout';
import { securityHeaders } from './security-headers';
import { createHealthRouter } from './routes/health';
import { WorkflowsHealthProbe } from '../temporal-client/sync-health';

export interface AppDeps {
  config: Config;
  pool: Pool;
  temporal: Client;
  logger: Logger;
  /** Served on /metrics and given request durations when present. */
  metrics?: Registry;
  /** Feature routers (installs, webhooks), mounted after health. */
  routers?: Router[];
}

/** What every handler finds on ctx.state. */
export interface AppState {
  requestId: string;
  /** The request's logger: its lines carry requestId. */
  log: Logger;
}

export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: deps.config.TRUST_PROXY });
  app.use(requestLogging(deps.logger, deps.metrics));
  app.use(securityHeaders({ https: deps.config.PUBLIC_URL.startsWith('https:') }));
  app.use(errorMiddleware(deps.logger, errorPage));
  const routers = [
    createHealthRouter({
      pool: deps.pool,
      temporal: deps.temporal,
      metrics: deps.metrics,
      metricsToken: deps.config.METRICS_TOKEN,
      workerPolling: () =>
        new WorkflowsHealthProbe(
          deps.temporal,
          deps.temporal.options.namespace,
          deps.config.TEMPORAL_TASK_QUEUE,
        ).workerPolling(),
    }),
    ...(deps.routers ?? []),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

const incomingRequestId = /^[A-Za-z0-9_-]{1,64}$/;

/** Probes and scrapes arrive every few seconds; at info they would drown the requests worth reading. */
const quietPaths = new Set(['/healthz', '/metrics']);

/**
 * One log line per request: method, path (never the query string, which can carry OAuth codes), status, duration.
 * Headers are not logged at all, so tokens and signatures cannot leak through them.
 */
function requestLogging(logger: Logger, metrics: Registry | undefined): Middleware<AppState> {
  const durations = metrics && requestDurationHistogram(metrics);
  return async (ctx, next) => {
    const started = performance.now();
    const presented = ctx.get('x-request-id');
    ctx.state.requestId = incomingRequestId.test(presented) ? presented : randomUUID();
    ctx.state.log = logger.child({ requestId: ctx.state.requestId });
    ctx.set('x-request-id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const ms = Math.round(performance.now() - started);
      const level = quietPaths.has(ctx.path) ? 'debug' : 'info';
      ctx.state.log[level]({ method: ctx.method, path: ctx.path, status: ctx.status, ms }, 'request');
      // The route pattern, not the path: ids in paths would make one time series per install.
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      durations?.observe(
        { method: ctx.method, route: typeof route === 'string' ? route : 'unmatched', status: String(ctx.status) },
        ms / 1000,
      );
    }
  };
}

function requestDurationHistogram(registry: Registry): Histogram {
  const name = 'http_request_duration_seconds';
  // Registering a name twice throws; a second app on the same registry (tests) shares the histogram.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram;
  return new Histogram({
    name,
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
}
