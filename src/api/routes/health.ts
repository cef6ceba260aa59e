import type Router from '@koa/router';
import { createRouter } from '../router';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { withTimeout } from '../../infra/timing';
import type { Logger } from '../../logger';
import type { AppState } from '../app';
import type { Middleware } from 'koa';
import { bearerTokenMatches } from '../../auth/bearer-token';
import { requireBearerToken } from '../auth';

export interface HealthDeps {
  pool: Pool;
  temporal: Client;
  metrics?: Registry;
  /** Whether some worker polls the task queue; without one nothing is synced though the API answers. */
  workerPolling?: () => Promise<boolean>;
  /** Per dependency; a probe must answer even when a dependency hangs. */
  timeoutMs?: number;
  /** METRICS_TOKEN: guards /metrics and /healthz's details. */
  metricsToken?: string;
}

type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; error: string };

/**
 * Each dependency checked on its own, so the answer says which one is down. The detail goes to the log, not the
 * response: a probe endpoint is reachable by anyone who can reach the API.
 */
async function check(
  name: string,
  log: Logger,
  timeoutMs: number,
  probe: () => Promise<unknown>,
): Promise<CheckResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    await probe();
    return { ok: true, ms: ms() };
  } catch (error) {
    log.warn({ err: error, dependency: name }, 'health check failed');
    return { ok: false, ms: ms(), error: ms() >= timeoutMs ? 'timed out' : 'unreachable' };
  }
}

async function checkWorker(
  temporal: Client,
  workerPolling: () => Promise<boolean>,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: string }> {
  try {
    const polling = await temporal.connection.withDeadline(Date.now() + timeoutMs, workerPolling);
    return polling ? { ok: true } : { ok: false, error: 'no worker polling the task queue' };
  } catch {
    return { ok: false, error: 'unknown: Temporal did not answer' };
  }
}

export function createHealthRouter(deps: HealthDeps): Router<AppState> {
  const { pool, temporal, metrics } = deps;
  const timeoutMs = deps.timeoutMs ?? 1_500;
  const namespace = temporal.options.namespace;
  const router = createRouter<AppState>();
  const showsDetails = (authorization: string): boolean =>
    deps.metricsToken === undefined || bearerTokenMatches(authorization, deps.metricsToken);

  router.get('/healthz', async (ctx) => {
    const { log } = ctx.state;
    const [temporalResult, postgresResult] = await Promise.all([
      // A gRPC deadline, not a race: the SDK retries UNAVAILABLE on timers that must not outlive the request (a
      // retry firing after the connection is closed at shutdown throws an uncaught error).
      check('temporal', log, timeoutMs, () =>
        temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
          temporal.workflowService.describeNamespace({ namespace }),
        ),
      ),
      check('postgres', log, timeoutMs, () => withTimeout('postgres', timeoutMs, pool.query('SELECT 1'))),
    ]);
    // Only asked of a Temporal that answers: calls to a dead one leave retry timers behind (see above).
    const workerResult =
      temporalResult.ok && deps.workerPolling ? await checkWorker(temporal, deps.workerPolling, timeoutMs) : undefined;
    const ok = temporalResult.ok && postgresResult.ok;
    // The API itself works without a worker (webhooks are recorded and queued): `worker` says so, and `status` (what
    // probes and load balancers read) stays about the API's own dependencies.
    ctx.status = ok ? 200 : 503;
    const status = ok ? 'ok' : 'unavailable';
    ctx.body = showsDetails(ctx.get('authorization'))
      ? {
          status,
          temporal: { ...temporalResult, namespace },
          postgres: postgresResult,
          ...(workerResult && { worker: workerResult }),
        }
      : { status };
  });

  if (metrics) {
    const guard: Middleware = deps.metricsToken
      ? requireBearerToken(deps.metricsToken, 'metrics')
      : (_ctx, next) => next();
    router.get('/metrics', guard, async (ctx) => {
      ctx.type = metrics.contentType;
      ctx.body = await metrics.metrics();
    });
  }
  return router;
}
