import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import Koa from 'koa';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import Stripe from 'stripe';
import { createWebhookRouter, MAX_WEBHOOK_BYTES } from '../../src/api/routes/webhooks';
import { errorMiddleware } from '../../src/api/errors';
import { InstallWorkflows } from '../../src/temporal-client/workflows';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { ignoredWebhookCounts } from '../../src/db/events';
import { findInstall, setInstallStatus, setWebhookEndpoint, type Install } from '../../src/db/installs';
import { API_POOL_OPTIONS, createPool } from '../../src/db/pool';
import { syncWorkflowId } from '../../src/shared/ids';
import type { StripeEventRef } from '../../src/shared/messages';
import { testConfig, testLogger } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../../src/dev/ports';
import { ensureTemporal } from '../support/temporal';
import { OutboxRelay } from '../../src/webhooks/outbox-relay';
import { eventually } from '../support/stack';
import { insertTestInstall } from '../support/installs';

const config = testConfig();
const secrets = createSecretBox(encryptionKeyBytes(config));
const logger = testLogger();
/** Unverified deliveries are counted here, never in the database. */
const metrics = new Registry();

interface TestInstall {
  install: Install;
  secret: string;
}

const grpcNotFound = 5;
const random = (bytes = 6) => randomBytes(bytes).toString('hex');

type EventOverrides = Omit<Partial<Stripe.Event>, 'type' | 'data'> & {
  type?: string;
  data?: object;
  customerId?: string;
};

function customerEvent(overrides: EventOverrides = {}): Stripe.Event {
  const { customerId = `cus_${random()}`, ...rest } = overrides;
  return {
    id: `evt_${random(8)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000) - 5,
    data: { object: { id: customerId, object: 'customer', email: 'ada@example.com' } },
    livemode: true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.updated',
    ...rest,
  } as Stripe.Event;
}

function signed(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

interface WebhookApi {
  url: string;
  server: Server;
  relay: OutboxRelay;
}

/** The webhook routes and, as the API runs them, a relay from the signal outbox to Temporal. */
async function startWebhookApi(pool: Pool, workflows: InstallWorkflows, temporalTimeoutMs?: number) {
  const app = new Koa();
  app.use(errorMiddleware(logger));
  const relay = new OutboxRelay({ pool, workflows, logger, metrics, temporalTimeoutMs });
  const router = createWebhookRouter({
    pool,
    config,
    secrets,
    workflows,
    logger,
    temporalTimeoutMs,
    metrics,
    outbox: relay,
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  const handle = app.callback();
  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await relay.start();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, relay };
}

async function close(api: WebhookApi | undefined): Promise<void> {
  if (!api) return;
  api.server.closeAllConnections();
  await new Promise<void>((resolve) => api.server.close(() => resolve()));
  await api.relay.close();
}

describe('webhooks: POST /webhooks/stripe/:installId and /webhooks/stripe (real Postgres and Temporal)', function () {
  this.timeout(120_000);

  let db: TestDatabase;
  let connection: Connection;
  let temporal: Client;
  let workflows: InstallWorkflows;
  let api: WebhookApi | undefined;
  const startedWorkflows = new Set<string>();

  before(async () => {
    db = await createTestDatabase();
    const server = await ensureTemporal();
    connection = await Connection.connect({ address: server.address });
    temporal = new Client({ connection, namespace: server.namespace });
    workflows = new InstallWorkflows({
      client: temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: server.namespace,
      temporalUiUrl: 'http://127.0.0.1:8233',
    });
    api = await startWebhookApi(db.pool, workflows);
  });

  after(async () => {
    await close(api);
    // No worker polls this task queue: the sync workflows the signals started would wait forever.
    for (const workflowId of startedWorkflows) {
      await temporal.workflow
        .getHandle(workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await connection?.close();
    await db?.drop();
  });

  async function createInstall(
    options: { livemode?: boolean; account?: string; withSecret?: boolean } = {},
  ): Promise<TestInstall> {
    const install = await insertTestInstall(db.pool, secrets, {
      stripeAccountId: options.account ?? `acct_${random()}`,
      livemode: options.livemode ?? true,
    });
    const secret = `whsec_${random(16)}`;
    if (options.withSecret !== false) {
      await setWebhookEndpoint(db.pool, install.id, {
        endpointId: `we_${random()}`,
        secretSealed: secrets.seal(secret),
      });
    }
    startedWorkflows.add(syncWorkflowId(install.id));
    return { install: (await findInstall(db.pool, install.id)) ?? install, secret };
  }

  async function post(
    path: string,
    body: string,
    headers: Record<string, string> = {},
    base = api?.url,
  ): Promise<{
    status: number;
    body: { received?: boolean; ignored?: string; error?: { code: string; message: string } };
  }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as never };
  }

  function deliver(
    target: TestInstall,
    event: Stripe.Event,
    path = `/webhooks/stripe/${target.install.id}`,
    base = api?.url,
  ) {
    const payload = JSON.stringify(event);
    return post(path, payload, { 'stripe-signature': signed(payload, target.secret) }, base);
  }

  async function recordedCount(installId: string, eventId?: string): Promise<number> {
    const result = await db.pool.query<{ count: string }>(
      `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND ($2::text IS NULL OR event_id = $2)`,
      [installId, eventId ?? null],
    );
    return Number(result.rows[0]?.count);
  }

  /** The refs of every stripeEvents signal in the sync workflow's history (none when it was never started). */
  async function signalledRefs(installId: string): Promise<StripeEventRef[][]> {
    try {
      const history = await temporal.workflow.getHandle(syncWorkflowId(installId)).fetchHistory();
      return (history.events ?? []).flatMap((event) => {
        const signal = event.workflowExecutionSignaledEventAttributes;
        if (!signal || signal.signalName !== 'stripeEvents') return [];
        const payload = signal.input?.payloads?.[0];
        return payload ? [defaultPayloadConverter.fromPayload<StripeEventRef[]>(payload)] : [];
      });
    } catch (err) {
      // fetchHistory surfaces the server's NOT_FOUND as a plain gRPC error.
      if (err instanceof WorkflowNotFoundError || (err as { code?: unknown }).code === grpcNotFound) return [];
      throw err;
    }
  }

  /** Rows of the install waiting in the signal outbox: how often each was tried. */
  async function outboxAttempts(installId: string): Promise<number[]> {
    const result = await db.pool.query<{ attempts: number }>(
      `SELECT attempts FROM signal_outbox WHERE install_id = $1 ORDER BY id`,
      [installId],
    );
    return result.rows.map((row) => row.attempts);
  }

  /** The signals in the workflow's history once the relay has emptied the install's outbox. */
  async function signalledOnceRelayed(installId: string): Promise<StripeEventRef[][]> {
    await eventually(
      async () => ((await outboxAttempts(installId)).length === 0 ? true : undefined),
      30_000,
      'the outbox relayed',
    );
    return signalledRefs(installId);
  }

  async function unverifiedCount(reason: 'unknown_install' | 'install_disabled'): Promise<number> {
    const counter = await metrics.getSingleMetric('webhook_deliveries_unverified_total')?.get();
    return counter?.values.find((value) => value.labels.reason === reason)?.value ?? 0;
  }
  const unknownInstallCount = () => unverifiedCount('unknown_install');

  describe('a valid delivery', () => {
    it('answers 200 once committed, the relay signals the sync workflow, and a redelivered event is recorded once', async () => {
      const target = await createInstall();
      const event = customerEvent({ customerId: 'cus_ada' });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await deliver(target, event);
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { received: true });
      }
      assert.equal(await recordedCount(target.install.id, event.id), 1);
      const row = await db.pool.query(
        `SELECT source, status, customer_id, type FROM stripe_events WHERE event_id = $1`,
        [event.id],
      );
      assert.deepEqual(row.rows[0], {
        source: 'webhook',
        status: 'received',
        customer_id: 'cus_ada',
        type: 'customer.updated',
      });
      // A delivery queues a signal unless one is already waiting (an earlier delivery may predate the outbox); the
      // workflow drops the repeats.
      const signals = await signalledOnceRelayed(target.install.id);
      assert.ok(signals.length >= 1 && signals.length <= 3, `${signals.length} signals`);
      for (const refs of signals) assert.deepEqual(refs, [{ eventId: event.id, customerId: 'cus_ada', refresh: true }]);
    });

    it('passes a data-only event with refresh: false', async () => {
      const target = await createInstall();
      const event = customerEvent({
        type: 'invoice.created',
        data: { object: { id: 'in_1', object: 'invoice', customer: 'cus_inv' } },
      });
      assert.equal((await deliver(target, event)).status, 200);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), [
        [{ eventId: event.id, customerId: 'cus_inv', refresh: false }],
      ]);
    });

    it("takes the API's next free connection ahead of other work that waited longer", async () => {
      // The API's own pool (API_POOL_OPTIONS), small: the relay's LISTEN holds one connection, two are left.
      const pool = createPool(db.connectionString, logger, { ...API_POOL_OPTIONS, max: 3 });
      const busyApi = await startWebhookApi(pool, workflows);
      try {
        const target = await createInstall();
        const finished: string[] = [];
        const slowQuery = (name: string, seconds: number) =>
          pool.query('SELECT pg_sleep($1)', [seconds]).then(() => void finished.push(name));
        // Page reads holding both connections, and a dozen more waiting for them.
        const others = [slowQuery('holding 1', 0.5), slowQuery('holding 2', 0.5)];
        for (let n = 0; n < 12; n++) others.push(slowQuery(`waiting ${n}`, 0.2));
        const response = await deliver(target, customerEvent(), undefined, busyApi.url);
        const finishedBeforeTheAnswer = finished.length;
        await Promise.all(others);
        assert.equal(response.status, 200);
        // Each of its few checkouts goes first; between two of them another query may take the connection it freed.
        assert.ok(
          finishedBeforeTheAnswer <= 8,
          `answered after ${finishedBeforeTheAnswer} of the 14 other queries: ${finished.join(', ')}`,
        );
      } finally {
        await close(busyApi);
        await pool.end();
      }
    });
  });

  describe('deliveries refused with 400, nothing recorded or signalled', () => {
    it('a signature made with another secret', async () => {
      const target = await createInstall();
      const payload = JSON.stringify(customerEvent());
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload, {
        'stripe-signature': signed(payload, 'whsec_not_the_one'),
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error?.code, 'invalid_signature');
      assert.equal(await recordedCount(target.install.id), 0);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
    });

    it('a body changed after signing', async () => {
      const target = await createInstall();
      const payload = JSON.stringify(customerEvent({ customerId: 'cus_1' }));
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload.replace('cus_1', 'cus_2'), {
        'stripe-signature': signed(payload, target.secret),
      });
      assert.equal(response.status, 400);
      assert.equal(await recordedCount(target.install.id), 0);
    });

    it('a timestamp older than 300 s', async () => {
      const target = await createInstall();
      const payload = JSON.stringify(customerEvent());
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload, {
        'stripe-signature': signed(payload, target.secret, Math.floor(Date.now() / 1000) - 400),
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error?.code, 'stale_signature');
      assert.match(response.body.error?.message ?? '', /300 s/);
      assert.equal(await recordedCount(target.install.id), 0);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
    });

    it('a malformed body, even correctly signed', async () => {
      const target = await createInstall();
      const payload = '{"id": "evt_broken", "object": "event",';
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload, {
        'stripe-signature': signed(payload, target.secret),
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error?.code, 'invalid_json');
      assert.equal(await recordedCount(target.install.id), 0);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
    });

    it('a signed JSON body that is not a Stripe event', async () => {
      const target = await createInstall();
      const payload = JSON.stringify({ id: 'evt_x', object: 'event', type: 'customer.updated', livemode: true });
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload, {
        'stripe-signature': signed(payload, target.secret),
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.error?.code, 'invalid_event');
      assert.equal(await recordedCount(target.install.id), 0);
    });

    it('no Stripe-Signature header', async () => {
      const target = await createInstall();
      const response = await post(`/webhooks/stripe/${target.install.id}`, JSON.stringify(customerEvent()));
      assert.equal(response.status, 400);
      assert.equal(response.body.error?.code, 'missing_signature');
      assert.equal(await recordedCount(target.install.id), 0);
    });
  });

  describe('oversized bodies: 413', () => {
    it('by Content-Length', async () => {
      const target = await createInstall();
      const payload = JSON.stringify({ padding: 'x'.repeat(MAX_WEBHOOK_BYTES) });
      const response = await post(`/webhooks/stripe/${target.install.id}`, payload, {
        'stripe-signature': signed(payload, target.secret),
      });
      assert.equal(response.status, 413);
      assert.equal(response.body.error?.code, 'payload_too_large');
      assert.equal(await recordedCount(target.install.id), 0);
    });

    it('streamed without a length', async () => {
      const target = await createInstall();
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > MAX_WEBHOOK_BYTES + chunk.length) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const response = await fetch(`${api?.url}/webhooks/stripe/${target.install.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        body,
        duplex: 'half',
      } as RequestInit);
      assert.equal(response.status, 413);
    });
  });

  describe('acknowledged 2xx, counted, nothing done', () => {
    it('an event whose livemode differs from the install', async () => {
      const target = await createInstall({ livemode: true });
      const response = await deliver(target, customerEvent({ livemode: false }));
      assert.equal(response.status, 200);
      assert.equal(await recordedCount(target.install.id), 0);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
      assert.deepEqual(await ignoredWebhookCounts(db.pool, target.install.id), { livemode_mismatch: 1 });
    });

    it('an unknown install: answered as a bad signature, counted in memory (the path is unauthenticated: no write)', async () => {
      const before = await unknownInstallCount();
      const payload = JSON.stringify(customerEvent());
      for (const id of ['ins_doesnotexist', 'not-an-install-id']) {
        const response = await post(`/webhooks/stripe/${id}`, payload, {
          'stripe-signature': signed(payload, 'whsec_x'),
        });
        // Answered exactly as a bad signature (issue 16): a different answer would tell which install ids exist.
        assert.equal(response.status, 400);
        assert.deepEqual(response.body.error, {
          code: 'invalid_signature',
          message: "the Stripe-Signature does not match the body for this endpoint's signing secret",
          field: 'stripe-signature',
        });
      }
      assert.equal(await unknownInstallCount(), before + 2);
    });

    it('an event type we do not handle', async () => {
      const target = await createInstall();
      const event = customerEvent({
        type: 'payout.paid',
        data: { object: { id: 'po_1', object: 'payout' } },
      });
      const response = await deliver(target, event);
      assert.equal(response.status, 200);
      assert.equal(await recordedCount(target.install.id), 0);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
      assert.deepEqual(await ignoredWebhookCounts(db.pool, target.install.id), { unhandled_type: 1 });
    });

    it('an event for a disabled install', async () => {
      const target = await createInstall();
      await setInstallStatus(db.pool, target.install.id, 'disabled');
      const response = await deliver(target, customerEvent());
      assert.equal(response.status, 200);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
      assert.deepEqual(await ignoredWebhookCounts(db.pool, target.install.id), { install_disabled: 1 });
    });

    it('a product change updates the mirror catalog and signals nothing', async () => {
      const target = await createInstall();
      const event = customerEvent({
        type: 'product.updated',
        data: { object: { id: 'prod_1', object: 'product', name: 'Pro (renamed)' } },
      });
      assert.equal((await deliver(target, event)).status, 200);
      const catalog = await db.pool.query(`SELECT data->>'name' AS name FROM stripe_catalog WHERE install_id = $1`, [
        target.install.id,
      ]);
      assert.deepEqual(catalog.rows, [{ name: 'Pro (renamed)' }]);
      const row = await db.pool.query(`SELECT status FROM stripe_events WHERE event_id = $1`, [event.id]);
      assert.equal(row.rows[0]?.status, 'processed');
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
    });
  });

  describe("the relay's LISTEN connection", () => {
    /** Ends the server side of the pool's connections whose last statement starts with `statement`. */
    async function terminateBackends(statement: string): Promise<number> {
      const ended = await db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE $1`,
        [`${statement} %`],
      );
      return ended.rowCount ?? 0;
    }

    it('lost: the relay polls meanwhile and listens again; closed: a late error on it is not released twice', async () => {
      assert.ok(await terminateBackends('LISTEN'), "the running relay's LISTEN connection was found and ended");
      const target = await createInstall();
      const event = customerEvent({ customerId: 'cus_relisten' });
      assert.equal((await deliver(target, event)).status, 200);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), [
        [{ eventId: event.id, customerId: 'cus_relisten', refresh: true }],
      ]);
      await eventually(
        async () =>
          (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'`)).rowCount || undefined,
        20_000,
        'the relay to LISTEN again',
      );

      // A relay that closed gave its connection back to the pool; an error on it now is the pool's to handle (it once
      // reached the relay's handler, which released it again: pg-pool threw, uncaught, failing whatever ran next).
      // Its own pool, so that nothing else takes the idle connection before it is ended.
      const relayPool = createPool(db.connectionString, logger, { max: 2 });
      try {
        const closed = new OutboxRelay({ pool: relayPool, workflows, logger, metrics });
        await closed.start();
        await closed.close();
        const connections = relayPool.totalCount;
        assert.ok(await terminateBackends('UNLISTEN'), 'the closed relay left its connection idle in the pool');
        // The pool drops the ended connection once its socket reports the error; then it serves queries again.
        await eventually(
          async () => relayPool.totalCount < connections || undefined,
          20_000,
          'the pool to drop the connection',
        );
        assert.equal((await relayPool.query('SELECT 1 AS ok')).rows[0].ok, 1, 'the pool still serves queries');
      } finally {
        await relayPool.end();
      }
    });
  });

  describe('dependencies unavailable: 503 so Stripe retries', () => {
    it('Temporal unreachable: still 200, the event waits in the outbox and is signalled once by a relay that reaches it', async () => {
      const target = await createInstall();
      // This process's relay would take the row at once: stopped, so only the degraded API's relay sees it.
      await api?.relay.close();
      const closedPort = await freePort();
      const deadConnection = Connection.lazy({ address: `127.0.0.1:${closedPort}`, connectTimeout: 1_000 });
      const deadWorkflows = new InstallWorkflows({
        client: new Client({ connection: deadConnection, namespace: 'default' }),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        namespace: 'default',
        temporalUiUrl: 'http://127.0.0.1:8233',
      });
      const degraded = await startWebhookApi(db.pool, deadWorkflows, 1_500);
      const event = customerEvent({ customerId: 'cus_retry' });
      const payload = JSON.stringify(event);
      try {
        const first = await post(
          `/webhooks/stripe/${target.install.id}`,
          payload,
          { 'stripe-signature': signed(payload, target.secret) },
          degraded.url,
        );
        assert.equal(first.status, 200);
        assert.deepEqual(first.body, { received: true });
        // The degraded relay tried, failed within its 1.5 s bound and deferred the row.
        await eventually(
          async () => ((await outboxAttempts(target.install.id))[0] ?? 0) >= 1 || undefined,
          20_000,
          'a failed signal attempt',
        );
      } finally {
        // The connection is left open: the abandoned call is still retrying in the SDK, and closing the channel under
        // it throws from a timer (uncaught). It fails on its own after the SDK's retries.
        await close(degraded);
      }
      assert.equal(await recordedCount(target.install.id, event.id), 1);
      assert.equal((await outboxAttempts(target.install.id)).length, 1);
      assert.deepEqual(await signalledRefs(target.install.id), []);

      // A relay that reaches Temporal (here: this process's, restarted) takes the row once its deferral ends.
      if (api) {
        api.relay = new OutboxRelay({ pool: db.pool, workflows, logger, metrics });
        await api.relay.start();
      }
      assert.deepEqual(await signalledOnceRelayed(target.install.id), [
        [{ eventId: event.id, customerId: 'cus_retry', refresh: true }],
      ]);
      assert.equal(await recordedCount(target.install.id, event.id), 1);
    });

    it('Postgres unreachable: 503', async () => {
      const target = await createInstall();
      const deadPool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`, logger, { max: 1 });
      const degraded = await startWebhookApi(deadPool, workflows);
      try {
        const payload = JSON.stringify(customerEvent());
        const response = await post(
          `/webhooks/stripe/${target.install.id}`,
          payload,
          { 'stripe-signature': signed(payload, target.secret) },
          degraded.url,
        );
        assert.equal(response.status, 503);
      } finally {
        await close(degraded);
        await deadPool.end();
      }
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
    });

    it('an install whose endpoint secret is not stored yet: 503 (Stripe retries after setup)', async () => {
      const target = await createInstall({ withSecret: false });
      const response = await deliver(target, customerEvent());
      assert.equal(response.status, 503);
      assert.equal(response.body.error?.code, 'endpoint_not_ready');
      assert.equal(await recordedCount(target.install.id), 0);
    });
  });

  describe('Connect-style deliveries on /webhooks/stripe', () => {
    it("routes by the event's account and verifies with that install's secret", async () => {
      const account = `acct_${random()}`;
      const target = await createInstall({ account });
      const event = customerEvent({ account, customerId: 'cus_connect' });
      const response = await deliver(target, event, '/webhooks/stripe');
      assert.equal(response.status, 200);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), [
        [{ eventId: event.id, customerId: 'cus_connect', refresh: true }],
      ]);
    });

    it("refuses a signature that is not that account's install's (400)", async () => {
      const account = `acct_${random()}`;
      const target = await createInstall({ account });
      const other = await createInstall();
      const response = await deliver(
        { ...other, install: target.install },
        customerEvent({ account }),
        '/webhooks/stripe',
      );
      assert.equal(response.status, 400);
      assert.equal(await recordedCount(target.install.id), 0);
    });

    it('acknowledges an account with no install, or no account at all (counted in memory)', async () => {
      const before = await unknownInstallCount();
      const target = await createInstall();
      assert.equal((await deliver(target, customerEvent({ account: 'acct_nobody' }), '/webhooks/stripe')).status, 200);
      assert.equal((await deliver(target, customerEvent(), '/webhooks/stripe')).status, 200);
      assert.equal(await unknownInstallCount(), before + 2);
    });

    it('account.application.deauthorized disables the install; later deliveries are ignored', async () => {
      const account = `acct_${random()}`;
      const target = await createInstall({ account });
      const deauthorized = customerEvent({
        account,
        // After the install's second: one from before it, or from that very second, is taken as an earlier
        // connection's (Stripe dates events to the second).
        created: Math.floor(target.install.createdAt.getTime() / 1000) + 1,
        type: 'account.application.deauthorized',
        data: { object: { id: 'ca_app', object: 'application', name: 'stripe-intercom-sync' } },
      });
      assert.equal((await deliver(target, deauthorized, '/webhooks/stripe')).status, 200);
      const install = await findInstall(db.pool, target.install.id);
      assert.equal(install?.status, 'disabled');
      const row = await db.pool.query(`SELECT status FROM stripe_events WHERE event_id = $1`, [deauthorized.id]);
      assert.equal(row.rows[0]?.status, 'processed');

      // Its credentials are wiped; its own endpoint still delivers until deleted: refused as unverifiable (answered
      // as a bad signature, like an unknown install), nothing signalled, counted in memory only.
      const disabledBefore = await unverifiedCount('install_disabled');
      assert.equal((await deliver(target, customerEvent())).status, 400);
      assert.deepEqual(await signalledOnceRelayed(target.install.id), []);
      assert.deepEqual(await ignoredWebhookCounts(db.pool, target.install.id), {});
      assert.equal(await unverifiedCount('install_disabled'), disabledBefore + 1);
      const wiped = await findInstall(db.pool, target.install.id);
      assert.deepEqual(
        [wiped?.stripeApiKeySealed, wiped?.intercomTokenSealed, wiped?.webhookSecretSealed],
        [null, null, null],
      );
    });
  });
});
