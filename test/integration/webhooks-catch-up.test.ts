import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import Koa from 'koa';
import type Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import {
  CATCH_UP_AT_START_LOCK,
  createCatchUpActivities,
  catchUpAllInstalls,
  catchUpAllInstallsOnce,
  type CatchUpResult,
} from '../../src/activities/catch-up';
import { createStripeClient } from '../../src/vendors/stripe';
import { InstallContexts } from '../../src/activities/install-context';
import { errorMiddleware } from '../../src/api/errors';
import { createWebhookRouter } from '../../src/api/routes/webhooks';
import { InstallWorkflows } from '../../src/temporal-client/workflows';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { markEventsProcessed } from '../../src/db/events';
import { findInstall, setWebhookEndpoint, type Install } from '../../src/db/installs';
import { catchUpInstall, STRIPE_EVENT_RETENTION_SECONDS } from '../../src/catch-up/catch-up';
import { deleteWebhookEndpoint, registerWebhookEndpoint, webhookUrl } from '../../src/webhooks/webhook-endpoints';
import { importWorkflowId, syncWorkflowId } from '../../src/shared/ids';
import type { StripeEventRef } from '../../src/shared/messages';
import { testConfig, testLogger } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureTemporal } from '../support/temporal';
import { eventually } from '../support/stack';
import { insertTestInstall } from '../support/installs';
import { OutboxRelay } from '../../src/webhooks/outbox-relay';

const grpcNotFound = 5;
const random = () => randomBytes(6).toString('hex');

describe('webhooks: endpoint registration and event catch-up (Stripe emulator, real Postgres and Temporal)', function () {
  this.timeout(120_000);

  let emulator: StripeEmulator;
  let db: TestDatabase;
  let connection: Connection;
  let temporal: Client;
  let workflows: InstallWorkflows;
  let api: Server;
  let relay: OutboxRelay | undefined;
  let apiUrl: string;
  let contexts: InstallContexts;
  let install: Install;
  const config = testConfig();
  const secrets = createSecretBox(encryptionKeyBytes(config));
  const logger = testLogger();
  const workflowIds = new Set<string>();

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, allowLocalWebhookUrls: true });
    Object.assign(config, { STRIPE_API_BASE: emulator.url });
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
    contexts = new InstallContexts({ pool: db.pool, config, secrets });

    const app = new Koa();
    app.use(errorMiddleware(logger));
    relay = new OutboxRelay({ pool: db.pool, workflows, logger });
    await relay.start();
    const router = createWebhookRouter({ pool: db.pool, config, secrets, workflows, logger, outbox: relay });
    app.use(router.routes());
    const handle = app.callback();
    api = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const apiKey = emulator.keys.restricted;
    install = await insertTestInstall(db.pool, secrets, { stripeAccountId: emulator.accountId, stripeApiKey: apiKey });
    const endpoint = await registerWebhookEndpoint(createStripeClient(apiKey, config), apiUrl, install.id);
    await setWebhookEndpoint(db.pool, install.id, {
      endpointId: endpoint.endpointId,
      secretSealed: secrets.seal(endpoint.secret),
    });
    // Installed an hour ago: events emitted back-dated a few minutes still belong to the install.
    await db.pool.query(`UPDATE installs SET created_at = now() - interval '1 hour' WHERE id = $1`, [install.id]);
    install = (await findInstall(db.pool, install.id)) ?? install;
    workflowIds.add(syncWorkflowId(install.id)).add(importWorkflowId(install.id));
  });

  after(async () => {
    for (const workflowId of workflowIds) {
      await temporal?.workflow
        .getHandle(workflowId)
        .terminate('test finished')
        .catch(() => undefined);
    }
    await emulator?.close();
    if (api) {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
    await relay?.close();
    await connection?.close();
    await db?.drop();
  });

  const stripe = () => createStripeClient(emulator.keys.restricted, config);

  async function events(): Promise<Array<{ event_id: string; type: string; source: string; status: string }>> {
    const result = await db.pool.query(
      `SELECT event_id, type, source, status FROM stripe_events WHERE install_id = $1 ORDER BY created, event_id`,
      [install.id],
    );
    return result.rows;
  }

  async function signalledRefs(installId: string): Promise<StripeEventRef[]> {
    try {
      const history = await temporal.workflow.getHandle(syncWorkflowId(installId)).fetchHistory();
      return (history.events ?? []).flatMap((event) => {
        const signal = event.workflowExecutionSignaledEventAttributes;
        const payload = signal?.signalName === 'stripeEvents' ? signal.input?.payloads?.[0] : undefined;
        return payload ? defaultPayloadConverter.fromPayload<StripeEventRef[]>(payload) : [];
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err as { code?: unknown }).code === grpcNotFound) return [];
      throw err;
    }
  }

  const catchUp = (input: { installId: string; since?: number | null }): Promise<CatchUpResult> => {
    const { catchUpEvents } = createCatchUpActivities({ pool: db.pool, contexts, workflows });
    // An activity environment, so the heartbeats after each Stripe page have somewhere to go.
    return new MockActivityEnvironment().run(catchUpEvents, input) as Promise<CatchUpResult>;
  };

  describe('registerWebhookEndpoint', () => {
    it('subscribes the install URL to our event types, pinned to our API version', async () => {
      const endpoints = await stripe().webhookEndpoints.list({ limit: 100 });
      const ours = endpoints.data.filter((endpoint) => endpoint.url === webhookUrl(apiUrl, install.id));
      assert.equal(ours.length, 1);
      assert.equal(ours[0]?.id, install.webhookEndpointId);
      assert.equal(ours[0]?.api_version, '2026-10-28.endive');
      assert.ok(ours[0]?.enabled_events.includes('account.application.deauthorized'));
      assert.ok(ours[0]?.enabled_events.includes('customer.updated'));
      assert.ok(ours[0]?.enabled_events.includes('invoice.created'));
    });

    it('replaces a leftover endpoint for the same URL instead of adding a second one', async () => {
      const otherInstall = `ins_${random()}`;
      const first = await registerWebhookEndpoint(stripe(), apiUrl, otherInstall);
      const second = await registerWebhookEndpoint(stripe(), `${apiUrl}/`, otherInstall);
      const endpoints = await stripe().webhookEndpoints.list({ limit: 100 });
      const ids = endpoints.data
        .filter((endpoint) => endpoint.url === webhookUrl(apiUrl, otherInstall))
        .map((e) => e.id);
      assert.deepEqual(ids, [second.endpointId]);
      assert.notEqual(first.endpointId, second.endpointId);
      await deleteWebhookEndpoint(stripe(), second.endpointId);
      // Already gone: fine.
      await deleteWebhookEndpoint(stripe(), second.endpointId);
    });

    it('deletes the endpoint it created when the endpoints cannot be listed, and fails', async () => {
      const otherInstall = `ins_${random()}`;
      const real = stripe();
      // The list fails (a Stripe outage on that one call) while the create, sent at the same time, succeeds.
      const listDown = {
        webhookEndpoints: {
          list: () => Promise.reject(new Error('listing webhook endpoints failed')),
          create: real.webhookEndpoints.create.bind(real.webhookEndpoints),
          del: real.webhookEndpoints.del.bind(real.webhookEndpoints),
        },
      } as unknown as Stripe;
      await assert.rejects(registerWebhookEndpoint(listDown, apiUrl, otherInstall), /listing webhook endpoints failed/);
      const endpoints = await real.webhookEndpoints.list({ limit: 100 });
      assert.deepEqual(
        endpoints.data.filter((endpoint) => endpoint.url === webhookUrl(apiUrl, otherInstall)),
        [],
      );
    });
  });

  describe('live deliveries from Stripe', () => {
    it('are verified with the registered secret, recorded and signalled', async () => {
      const customer = emulator.admin.createCustomer({ email: 'live@example.com' });
      await emulator.admin.waitForDeliveries();
      const recorded = (await events()).filter((row) => row.source === 'webhook');
      assert.ok(recorded.some((row) => row.type === 'customer.created'));
      // The relay signals from the outbox right after the delivery is answered.
      const refs = await eventually(async () => {
        const signalled = await signalledRefs(install.id);
        return signalled.some((ref) => ref.customerId === customer.id && ref.refresh) ? signalled : undefined;
      }, 30_000);
      assert.ok(refs.length > 0);
    });
  });

  describe('catchUpEvents', () => {
    it('records the events webhooks missed and returns their refs', async () => {
      emulator.admin.setWebhooksPaused(true);
      const before = new Set((await events()).map((row) => row.event_id));
      const customer = emulator.admin.createCustomer({ email: 'missed@example.com' });
      emulator.admin.updateCustomer(customer.id, { name: 'Missed While Down' });

      const result = await catchUp({ installId: install.id });
      const added = new Map(
        (await events()).filter((row) => !before.has(row.event_id)).map((row) => [row.event_id, row]),
      );
      assert.equal(added.size, 2);
      for (const row of added.values()) assert.deepEqual([row.source, row.status], ['catch-up', 'received']);
      assert.equal(result.recorded, 2);
      assert.equal(result.resyncNeeded, false);
      assert.equal(result.disabled, false);
      const refs = result.refs.filter((ref) => ref.customerId === customer.id);
      assert.ok(refs.every((ref) => ref.refresh && added.has(ref.eventId)));
      assert.deepEqual(refs.map((ref) => added.get(ref.eventId)?.type).sort(), [
        'customer.created',
        'customer.updated',
      ]);
      assert.ok(result.caughtUpTo >= Math.floor(Date.now() / 1000) - 60);

      // Stripe's late deliveries are duplicates now: accepted (signalled again), not recorded twice.
      emulator.admin.setWebhooksPaused(false);
      await emulator.admin.waitForDeliveries();
      assert.equal((await events()).filter((row) => !before.has(row.event_id)).length, 2);
    });

    it('returns refs oldest first, across type groups', async () => {
      emulator.admin.setWebhooksPaused(true);
      const now = emulator.admin.now();
      const customerId = emulator.admin.createCustomer({ email: 'order@example.com', emitEvents: false }).id;
      const emitted = [
        {
          type: 'invoice.created',
          object: { id: 'in_order', object: 'invoice', customer: customerId },
          created: now - 30,
        },
        { type: 'customer.updated', object: { id: customerId, object: 'customer' }, created: now - 90 },
        {
          type: 'charge.succeeded',
          object: { id: 'ch_order', object: 'charge', customer: customerId },
          created: now - 60,
        },
      ].map((input) => emulator.admin.emitEvent(input));
      const result = await catchUp({ installId: install.id });
      emulator.admin.setWebhooksPaused(false);
      await emulator.admin.waitForDeliveries();
      assert.deepEqual(
        result.refs.filter((ref) => ref.customerId === customerId),
        [emitted[1], emitted[2], emitted[0]].map((event) => ({
          eventId: event?.id,
          customerId,
          refresh: event?.type !== 'invoice.created',
        })),
      );
    });

    it('returns nothing already processed, and records nothing twice', async () => {
      const pending = (await events()).filter((row) => row.status === 'received').map((row) => row.event_id);
      await markEventsProcessed(db.pool, install.id, pending);
      const result = await catchUp({ installId: install.id });
      assert.deepEqual(result.refs, []);
      assert.equal(result.recorded, 0);
    });

    it('flags a resync when the gap may exceed Stripe’s 30 days, unless a recent catch-up covers it', async () => {
      const later = new Date(Date.now() + (STRIPE_EVENT_RETENTION_SECONDS + 86_400) * 1000);
      const current = (await findInstall(db.pool, install.id)) ?? install;
      const gap = await catchUpInstall({ pool: db.pool }, current, stripe(), { now: later });
      assert.equal(gap.resyncNeeded, true);
      const covered = await catchUpInstall({ pool: db.pool }, current, stripe(), {
        now: later,
        since: Math.floor(later.getTime() / 1000) - 3_600,
      });
      assert.equal(covered.resyncNeeded, false);
    });
  });

  describe('catchUpAllInstalls (worker start)', () => {
    it('signals what each live install missed', async () => {
      emulator.admin.setWebhooksPaused(true);
      const customer = emulator.admin.createCustomer({ email: 'restart@example.com' });
      const results = await catchUpAllInstalls({ pool: db.pool, contexts, workflows, logger });
      emulator.admin.setWebhooksPaused(false);
      const ours = results.find((result) => result.installId === install.id);
      assert.deepEqual(
        { recorded: ours?.recorded, signalled: ours?.signalled, resync: ours?.resync, error: ours?.error },
        { recorded: 1, signalled: 1, resync: null, error: undefined },
      );
      const refs = await signalledRefs(install.id);
      assert.ok(refs.some((ref) => ref.customerId === customer.id));
    });
  });

  describe('catchUpAllInstallsOnce (workers started together)', () => {
    it('leaves the pass to the worker already making it, and makes it once that one is done', async () => {
      const deps = { pool: db.pool, lockPool: db.pool, contexts, workflows, logger };
      const otherWorker = await db.pool.connect();
      try {
        const held = await otherWorker.query<{ taken: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken',
          [CATCH_UP_AT_START_LOCK],
        );
        assert.equal(held.rows[0]?.taken, true);
        assert.equal(await catchUpAllInstallsOnce(deps), null, 'another worker is catching up');
        await otherWorker.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [CATCH_UP_AT_START_LOCK]);
      } finally {
        otherWorker.release();
      }
      const results = await catchUpAllInstallsOnce(deps);
      assert.ok(
        results?.some((result) => result.installId === install.id),
        'caught up once the lock is free',
      );
    });
  });

  describe('requestResync', () => {
    it('creates the imports row and starts the import workflow', async () => {
      const { requestResync } = createCatchUpActivities({ pool: db.pool, contexts, workflows });
      const result = await requestResync({ installId: install.id });
      assert.equal(result.started, true);
      assert.match(result.importId ?? '', /^imp_/);
      const row = await db.pool.query(`SELECT status FROM imports WHERE id = $1`, [result.importId]);
      assert.equal(row.rows[0]?.status, 'running');
      const description = await temporal.workflow.getHandle(importWorkflowId(install.id)).describe();
      assert.equal(description.status.name, 'RUNNING');
    });
  });
});
