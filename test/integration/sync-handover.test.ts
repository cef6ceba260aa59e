import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { createPendingEventActivities } from '../../src/activities/pending-events';
import { InstallWorkflows } from '../../src/temporal-client/workflows';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { markEventsProcessed } from '../../src/db/events';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';
import { emptyCounters } from '../../src/shared/counters';
import { syncWorkflowId } from '../../src/shared/ids';
import { syncStatusQuery, type StripeEventRef } from '../../src/shared/messages';
import type { SyncWorkflowInput } from '../../src/workflows/sync';
import { WorkQueue } from '../../src/workflows/work-queue';
import { testConfig } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/stack';
import { ensureTemporal } from '../support/temporal';
import { insertTestInstall } from '../support/installs';

const PENDING = 50_000;
/** Temporal refuses a payload above 2 MB (https://docs.temporal.io/cloud/limits#per-message-grpc-limit). */
const PAYLOAD_LIMIT = 2 * 1024 * 1024;
const random = () => randomBytes(6).toString('hex');

describe('sync workflow: bounded hand-over (real Temporal and PostgreSQL)', function () {
  this.timeout(600_000);
  let db: TestDatabase | undefined;
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  /** Batches wait while held (Intercom "down"). */
  let held = true;
  let finish: (() => Promise<void>) | undefined;

  after(async () => {
    await finish?.().catch(() => undefined);
    held = false;
    worker?.shutdown();
    await running?.catch(() => undefined);
    await nativeConnection?.close();
    await connection?.close();
    await db?.drop();
  });

  it(`continues as new with ${PENDING.toLocaleString('en')} pending customers in a small input; the next run re-reads them from PostgreSQL`, async () => {
    db = await createTestDatabase();
    const pool = db.pool;
    const config = testConfig();
    const secrets = createSecretBox(encryptionKeyBytes(config));
    const install = await insertTestInstall(pool, secrets);
    // Recorded by webhooks during a long Intercom outage, one customer each, none processed yet.
    await pool.query(
      `INSERT INTO stripe_events (install_id, event_id, type, customer_id, refresh, livemode, created, payload, source)
       SELECT $1, 'evt_handover_' || i, 'customer.updated', 'cus_handover_' || i, true, true,
              to_timestamp(1800000000 + i), '{}'::jsonb, 'webhook'
       FROM generate_series(1, $2::int) AS i`,
      [install.id, PENDING],
    );
    const refs: StripeEventRef[] = Array.from({ length: PENDING }, (_, index) => ({
      eventId: `evt_handover_${index + 1}`,
      customerId: `cus_handover_${index + 1}`,
      refresh: true,
    }));

    // Only the sync's Intercom side is replaced: batches wait while `held`, then mark their events processed as the
    // real activity does. Pending events are read by the real activity.
    const syncCustomers: Activities['syncCustomers'] = async ({ installId, items }) => {
      while (held) await new Promise((resolve) => setTimeout(resolve, 50));
      await markEventsProcessed(
        pool,
        installId,
        items.flatMap((item) => item.eventIds),
      );
      return { counters: { ...emptyCounters(), unchanged: items.length }, lastError: null };
    };
    const activities: Partial<Activities> = {
      prepareInstall: async () => undefined,
      catchUpEvents: async () => ({
        refs: [],
        resyncNeeded: false,
        recorded: 0,
        signalled: 0,
        disabled: false,
        caughtUpTo: Math.floor(Date.now() / 1000),
      }),
      syncCustomers,
      ...createPendingEventActivities({ pool }),
    };
    const server = await ensureTemporal();
    const taskQueue = `handover-${random()}`;
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: await bundleWorkflowsInChildProcess(),
      activities,
    });
    running = worker.run();
    // The first run's history holds the 50 signals (about 4 MB): above gRPC's default 4 MB message for fetchHistory.
    connection = await Connection.connect({
      address: server.address,
      channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
    });
    const client = new Client({ connection, namespace: server.namespace });
    const workflows = new InstallWorkflows({
      client,
      taskQueue,
      namespace: server.namespace,
      temporalUiUrl: 'http://127.0.0.1:8233',
    });

    // The backlog reaches the run as signals (as the outbox relay and catch-up send them), while Intercom is "down".
    for (let at = 0; at < PENDING; at += 1_000) await workflows.signalEvents(install.id, refs.slice(at, at + 1_000));
    const handle = client.workflow.getHandle(syncWorkflowId(install.id));
    finish = () => handle.terminate('test finished').then(() => undefined);
    const firstRunId = (await handle.describe()).runId;
    await eventually(
      async () => ((await handle.query(syncStatusQuery)).queueDepth === PENDING ? true : undefined),
      120_000,
      'every pending customer queued',
    );

    // Intercom is back: batches complete until the run's history is full (RUN_HISTORY_EVENTS), then it hands over.
    held = false;
    const secondRunId = await eventually(async () => {
      const { runId } = await handle.describe();
      return runId !== firstRunId ? runId : undefined;
    }, 300_000);
    held = true;

    const firstRun = await client.workflow.getHandle(syncWorkflowId(install.id), firstRunId).fetchHistory();
    const handOver = firstRun.events?.find(
      (event) => event.workflowExecutionContinuedAsNewEventAttributes,
    )?.workflowExecutionContinuedAsNewEventAttributes;
    const payload = handOver?.input?.payloads?.[0];
    assert.ok(payload?.data, 'the first run continued as new with an input');
    const inputBytes = payload.data.length;
    const input = defaultPayloadConverter.fromPayload<SyncWorkflowInput>(payload);
    assert.equal(input.carried?.pendingInDatabase, true);
    assert.deepEqual(input.carried?.queue.pending, []);
    // Ids and counters only: the recent event ids (RECENT_EVENT_WINDOW) are most of it, whatever the backlog.
    assert.ok(inputBytes < 100 * 1024, `hand-over input ${inputBytes} bytes`);

    const stillPending = Number(
      (
        await pool.query<{ count: string }>(
          `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND status = 'received'`,
          [install.id],
        )
      ).rows[0]?.count,
    );
    assert.ok(stillPending > PENDING * 0.9, `${stillPending} still pending at the hand-over`);
    // What the hand-over carried before BOUNDED_HANDOVER_PATCH: every pending item with its event ids.
    const unbounded = new WorkQueue();
    for (const ref of refs.slice(PENDING - stillPending)) {
      unbounded.add({ customerId: ref.customerId, refresh: ref.refresh, eventIds: [ref.eventId] });
    }
    const unboundedBytes = Buffer.byteLength(JSON.stringify(unbounded.snapshot()));
    assert.ok(unboundedBytes > PAYLOAD_LIMIT, `the unbounded hand-over would carry ${unboundedBytes} bytes`);

    // The next run has every pending customer back from PostgreSQL (its batches are held again: nothing completes).
    const second = client.workflow.getHandle(syncWorkflowId(install.id), secondRunId);
    const status = await eventually(async () => {
      const current = await second.query(syncStatusQuery);
      const pendingNow = Number(
        (
          await pool.query<{ count: string }>(
            `SELECT count(*) FROM stripe_events WHERE install_id = $1 AND status = 'received'`,
            [install.id],
          )
        ).rows[0]?.count,
      );
      return current.queueDepth === pendingNow && pendingNow > PENDING * 0.9 ? current : undefined;
    }, 120_000);
    console.log(
      `      hand-over with ${stillPending} pending customers: input ${inputBytes} bytes ` +
        `(before the patch: ${unboundedBytes} bytes); next run queue ${status.queueDepth}`,
    );
    await handle.terminate('test finished');
  });
});
