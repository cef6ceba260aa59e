import type { Notification, Pool, PoolClient } from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { InstallWorkflows } from '../temporal-client/workflows';
import {
  claimOutboxRows,
  deferOutboxRows,
  deleteOutboxRows,
  outboxBacklog,
  SIGNAL_OUTBOX_CHANNEL,
  type OutboxRow,
} from '../db/signal-outbox';
import type { Logger } from '../logger';

/** Refs carried by one signal at most: a few KB of payload, well under Temporal's limits. */
const MAX_REFS_PER_SIGNAL = 100;
/** Rows taken per claim; the next claim follows at once while rows remain. */
const CLAIM_LIMIT = 500;
/** After a failed signal, an install's rows wait this long, doubling up to the maximum, before they are tried again. */
const RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 15_000;
/** The SDK retries an unreachable server for tens of seconds; a signal is abandoned (and retried later) after this. */
const DEFAULT_TEMPORAL_TIMEOUT_MS = 10_000;
/**
 * How long a claim holds: longer than a signal may take (its timeout, per chunk of refs), so no other relay signals
 * the same rows while this one still may. A relay that died holding rows releases them when it expires.
 */
const leaseMsFor = (temporalTimeoutMs: number) => temporalTimeoutMs * (CLAIM_LIMIT / MAX_REFS_PER_SIGNAL) + 5_000;

export interface OutboxSignalDeps {
  pool: Pool;
  workflows: Pick<InstallWorkflows, 'signalEvents'>;
  temporalTimeoutMs?: number;
}

/**
 * Signals one install's claimed rows to its sync workflow and deletes each chunk once Temporal accepted it; rows of a
 * disabled install are dropped unsignalled. Returns the signalled rows' time in the outbox (s). Throws on the first
 * failed chunk, leaving that chunk and the rest claimed (the caller defers or lets the lease expire).
 */
export async function signalOutboxRows(deps: OutboxSignalDeps, installId: string, rows: OutboxRow[]) {
  const timeoutMs = deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS;
  const dropped = rows.filter((row) => row.installDisabled);
  await deleteOutboxRows(
    deps.pool,
    dropped.map((row) => row.id),
  );
  const live = rows.filter((row) => !row.installDisabled);
  const lags: number[] = [];
  for (let at = 0; at < live.length; at += MAX_REFS_PER_SIGNAL) {
    const chunk = live.slice(at, at + MAX_REFS_PER_SIGNAL);
    await deps.workflows.signalEvents(
      installId,
      chunk.map((row) => row.ref),
      new Date(Date.now() + timeoutMs),
    );
    lags.push(
      ...(await deleteOutboxRows(
        deps.pool,
        chunk.map((row) => row.id),
      )),
    );
  }
  return lags;
}

/** Claims and signals an install's rows left in the outbox longer than `olderThanMs` (the worker's catch-up). */
export async function signalStaleOutboxRows(
  deps: OutboxSignalDeps,
  installId: string,
  olderThanMs: number,
): Promise<number> {
  const leaseMs = leaseMsFor(deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS);
  let signalled = 0;
  for (;;) {
    const rows = await claimOutboxRows(deps.pool, { limit: CLAIM_LIMIT, leaseMs, installId, olderThanMs });
    signalled += (await signalOutboxRows(deps, installId, rows)).length;
    if (rows.length < CLAIM_LIMIT) return signalled;
  }
}

export interface OutboxRelayDeps extends OutboxSignalDeps {
  logger: Logger;
  metrics?: Registry;
  /** Backstop poll (ms): NOTIFY wakes the relay at once; the poll catches a lost notification or an expired lease. */
  pollMs?: number;
}

/**
 * Hands webhook events from the outbox to the sync workflows (one relay per API process; several run safely side by
 * side: each claims rows with SKIP LOCKED under a lease). Woken by NOTIFY from any process's intake, by this
 * process's intake directly, and by a poll. One signal per install at a time: rows arriving meanwhile join the next,
 * so a burst costs Temporal one signal (one workflow task) per install rather than one per event.
 */
export class OutboxRelay {
  private readonly signalling = new Set<string>();
  /**
   * Installs whose rows were NOTIFYed while their signal was in flight (claims skip them meanwhile): claimed again once
   * it ends. A notification lost meanwhile leaves its row to the poll, as any lost notification.
   */
  private readonly recheck = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly temporalTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly lag: Histogram;
  private readonly backlogRows: Gauge;
  private readonly backlogOldest: Gauge;
  private listener: ListenConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private wakeAgain = false;
  private closed = false;
  private unavailable = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: OutboxRelayDeps) {
    this.temporalTimeoutMs = deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS;
    this.leaseMs = leaseMsFor(this.temporalTimeoutMs);
    const registry = deps.metrics;
    this.lag = metric(
      registry,
      'webhook_outbox_lag_seconds',
      () =>
        new Histogram({
          name: 'webhook_outbox_lag_seconds',
          help: 'From a webhook event committed in PostgreSQL to Temporal accepting its signal',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
          registers: registry ? [registry] : [],
        }),
    );
    this.backlogRows = gauge(
      registry,
      'webhook_outbox_rows',
      'Webhook events committed and not yet signalled to their sync workflow (all API processes)',
    );
    this.backlogOldest = gauge(
      registry,
      'webhook_outbox_oldest_seconds',
      'Age of the oldest webhook event not yet signalled to its sync workflow (0 when none)',
    );
  }

  /** Listens, polls, and drains what is already there (rows a stopped process left). */
  async start(): Promise<void> {
    await this.listen();
    const pollMs = this.deps.pollMs ?? 1_000;
    this.timer = setInterval(() => {
      if (!this.listener) void this.listen();
      this.wake();
      void this.measureBacklog();
    }, pollMs);
    this.timer.unref();
    this.wake();
  }

  /**
   * This process's intake committed a row of the install. The row's NOTIFY wakes every relay, this one included; only
   * without a LISTEN connection (lost, or not yet up) is this the wake-up, or each row would be claimed for twice.
   */
  queued(installId: string): void {
    if (!this.listener) this.wake(installId);
  }

  /**
   * Something may be in the outbox (of `installId`, when known): drain it now (a drain already running goes round once
   * more). Rows of an install being signalled wait for that signal to end: claims skip them meanwhile.
   */
  wake(installId?: string): void {
    if (this.closed) return;
    if (installId !== undefined && this.signalling.has(installId)) {
      this.recheck.add(installId);
      return;
    }
    if (this.pumping) {
      this.wakeAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // Woken while the last claim was being taken: rows committed since may not be in it.
      if (this.wakeAgain) this.wake();
    });
  }

  /** Stops claiming; signals in flight finish (or time out) first. Unsignalled rows stay for the next relay. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.unlisten();
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.wakeAgain = false;
        // Rows of installs being signalled are left to the claim after their signal: their NOTIFY asked for it (wake).
        const skipInstalls = [...this.signalling];
        const rows = await claimOutboxRows(this.deps.pool, { limit: CLAIM_LIMIT, leaseMs: this.leaseMs, skipInstalls });
        if (rows.length === CLAIM_LIMIT) this.wakeAgain = true;
        for (const [installId, group] of groupByInstall(rows)) this.relay(installId, group);
        this.setUnavailable(false);
      } while (this.wakeAgain && !this.closed);
    } catch (err) {
      // PostgreSQL unavailable: the webhooks answer 503 meanwhile; the poll tries again (not at once: no busy loop).
      this.wakeAgain = false;
      if (!this.unavailable) this.deps.logger.warn({ err }, 'outbox relay: claiming rows failed; retrying');
      this.setUnavailable(true);
    }
  }

  private relay(installId: string, rows: OutboxRow[]): void {
    this.signalling.add(installId);
    const done = this.signalInstall(installId, rows).finally(() => {
      this.signalling.delete(installId);
      this.inFlight.delete(done);
      if (this.recheck.delete(installId)) this.wake();
    });
    this.inFlight.add(done);
  }

  private async signalInstall(installId: string, rows: OutboxRow[]): Promise<void> {
    try {
      const lags = await signalOutboxRows(this.deps, installId, rows);
      for (const lag of lags) this.lag.observe(lag);
      this.failures.delete(installId);
    } catch (err) {
      const failures = (this.failures.get(installId) ?? 0) + 1;
      this.failures.set(installId, failures);
      const delayMs = Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS * 2 ** (failures - 1));
      // Rows already signalled were deleted; deferring the rest of the claim (including them) is harmless.
      await deferOutboxRows(
        this.deps.pool,
        rows.map((row) => row.id),
        delayMs,
      ).catch(() => undefined);
      if (failures === 1 || failures % 20 === 0) {
        this.deps.logger.warn({ err, installId, failures, retryInMs: delayMs }, 'outbox relay: signal not accepted');
      }
    }
  }

  private async listen(): Promise<void> {
    if (this.closed || this.listener) return;
    try {
      const connection = new ListenConnection(
        await this.deps.pool.connect(),
        (installId) => this.wake(installId),
        (err) => {
          this.deps.logger.warn({ err }, 'outbox relay: LISTEN connection lost; polling until it is back');
          if (this.listener === connection) this.listener = undefined;
        },
      );
      await connection.listen();
      // close() ran while LISTEN was on its way: it found no listener to give back.
      if (this.closed) await connection.unlisten();
      else this.listener = connection;
    } catch (err) {
      if (!this.unavailable) this.deps.logger.warn({ err }, 'outbox relay: LISTEN failed; polling until it succeeds');
    }
  }

  private async measureBacklog(): Promise<void> {
    try {
      const backlog = await outboxBacklog(this.deps.pool);
      this.backlogRows.set(backlog.rows);
      this.backlogOldest.set(backlog.oldestSeconds);
    } catch {
      // PostgreSQL unavailable: the pump logs it.
    }
  }

  private setUnavailable(unavailable: boolean): void {
    if (this.unavailable && !unavailable) this.deps.logger.info('outbox relay: PostgreSQL reachable again');
    this.unavailable = unavailable;
  }
}

/**
 * The pooled connection that LISTENs for new outbox rows. It goes back to the pool exactly once: a connection error
 * after close() (or a second error) must not release it again, which pg-pool refuses with an uncaught throw.
 */
class ListenConnection {
  private released = false;
  private readonly onNotify = (message: Notification): void => this.onNotification(message.payload || undefined);
  private readonly onError = (err: Error): void => {
    this.onLost(err);
    this.release(err);
  };

  constructor(
    private readonly client: PoolClient,
    private readonly onNotification: (installId: string | undefined) => void,
    private readonly onLost: (err: Error) => void,
  ) {
    client.on('notification', this.onNotify);
    client.on('error', this.onError);
  }

  async listen(): Promise<void> {
    try {
      await this.client.query(`LISTEN ${SIGNAL_OUTBOX_CHANNEL}`);
    } catch (err) {
      this.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  async unlisten(): Promise<void> {
    if (this.released) return;
    await this.client.query(`UNLISTEN ${SIGNAL_OUTBOX_CHANNEL}`).catch(() => undefined);
    this.release();
  }

  private release(err?: Error | true): void {
    if (this.released) return;
    this.released = true;
    this.client.removeListener('notification', this.onNotify);
    this.client.removeListener('error', this.onError);
    this.client.release(err);
  }
}

function groupByInstall(rows: OutboxRow[]): Map<string, OutboxRow[]> {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const group = groups.get(row.installId);
    if (group) group.push(row);
    else groups.set(row.installId, [row]);
  }
  return groups;
}

function gauge(registry: Registry | undefined, name: string, help: string): Gauge {
  return metric(registry, name, () => new Gauge({ name, help, registers: registry ? [registry] : [] }));
}

/** A registry shared by several relays (tests) gets each metric once. */
function metric<T>(registry: Registry | undefined, name: string, create: () => T): T {
  return (registry?.getSingleMetric(name) as T | undefined) ?? create();
}
