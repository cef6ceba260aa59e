import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { syncWorkflowId } from '../../src/shared/ids';
import { SYNC_WORKFLOW_TASK_TIMEOUT_MS } from '../../src/temporal-client/workflows';
import type { ImportWorkflowInput } from '../../src/workflows/import';
import { installStatusSchema } from '../../src/status/schema';
import { eventually, startTestStack, type TestStack } from '../support/stack';

describe('sync workflow continue-as-new', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack?.close());

  it('hands its queue and pending import pages to the next run without losing or repeating work', async () => {
    seedCustomers(stack.stripe, { customers: 20, seed: 11 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const created = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token } },
    });
    const { id } = (await created.json()) as { id: string };
    const status = () => stack.api(`/installs/${id}`).then(async (res) => installStatusSchema.parse(await res.json()));
    await eventually(async () => ((await status()).state === 'live' ? true : undefined), 120_000, 'first import');

    // Replace the sync workflow by one that continues-as-new every ~40 history events, then backfill 600 more.
    const handle = stack.service.temporal.workflow.getHandle(syncWorkflowId(id));
    await handle.terminate('test: restart with a small history limit');
    await stack.service.temporal.workflow.start('syncWorkflow', {
      workflowId: syncWorkflowId(id),
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ installId: id, historyLimit: 40 }],
    });
    const more = seedCustomers(stack.stripe, { customers: 600, seed: 12, deleted: 0 });
    const resync = await stack.api(`/installs/${id}/resync`, { method: 'POST' });
    const { importId } = (await resync.json()) as { importId: string };
    await eventually(
      async () => {
        const current = await status();
        return current.import?.id === importId && current.import.status === 'completed' ? true : undefined;
      },
      240_000,
      'resync completed',
    );

    let runs = 0;
    for await (const run of stack.service.temporal.workflow.list({ query: `WorkflowId = '${syncWorkflowId(id)}'` })) {
      runs += 1;
      // One catch-up timer per period (and the run's lifetime timer), not one per batch: a run's history grows by its
      // work alone.
      const history = await stack.service.temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const timers = (history.events ?? []).filter((event) => event.timerStartedEventAttributes).length;
      assert.ok(timers <= 2, `run ${run.runId} started ${timers} timers`);
    }
    assert.ok(runs >= 4, `expected several continued runs, saw ${runs}`);

    const contacts = stack.intercom.workspace(workspaceId).contacts;
    const emails = contacts.map((contact) => contact.email?.toLowerCase());
    assert.equal(new Set(emails).size, emails.length, 'no duplicated contact');
    for (const customer of more.filter((seeded) => seeded.email)) {
      assert.ok(emails.includes(customer.email!.toLowerCase()), `${customer.id} reached Intercom`);
    }
  });

  it('an idle run continues as new when its lifetime is over, keeping its catch-up schedule', async () => {
    seedCustomers(stack.stripe, { customers: 5, seed: 31 });
    const { token } = stack.intercom.createWorkspace();
    const created = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token } },
    });
    const { id } = (await created.json()) as { id: string };
    const status = () => stack.api(`/installs/${id}`).then(async (res) => installStatusSchema.parse(await res.json()));
    await eventually(async () => ((await status()).state === 'live' ? true : undefined), 120_000, 'first import');

    // The install's sync run gives a workflow task 30 s (SYNC_WORKFLOW_TASK_TIMEOUT_MS), and so does the run it
    // continues as.
    const workflows = stack.service.temporal.workflow;
    const taskTimeoutMs = async (runId?: string) => {
      const { raw } = await workflows.getHandle(syncWorkflowId(id), runId).describe();
      const timeout = raw.executionConfig?.defaultWorkflowTaskTimeout;
      return Number(timeout?.seconds ?? 0) * 1000 + Math.round((timeout?.nanos ?? 0) / 1e6);
    };
    assert.equal(await taskTimeoutMs(), SYNC_WORKFLOW_TASK_TIMEOUT_MS);

    // The install's sync replaced by one whose runs live 2 s: with nothing to do, each still hands over to the next.
    await workflows.getHandle(syncWorkflowId(id)).terminate('test: restart with a short run lifetime');
    const first = await workflows.start('syncWorkflow', {
      workflowId: syncWorkflowId(id),
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ installId: id, runLifetime: 2_000 }],
      workflowTaskTimeout: SYNC_WORKFLOW_TASK_TIMEOUT_MS,
    });
    const later = await eventually(
      async () => {
        const { runId } = await workflows.getHandle(syncWorkflowId(id)).describe();
        return runId !== first.firstExecutionRunId ? runId : undefined;
      },
      60_000,
      'a continued run',
    );
    const next = await workflows.getHandle(syncWorkflowId(id), later).describe();
    assert.equal(next.status.name, 'RUNNING');
    assert.equal(await taskTimeoutMs(later), SYNC_WORKFLOW_TASK_TIMEOUT_MS, 'the continued run keeps it');
    const history = await workflows.getHandle(syncWorkflowId(id), first.firstExecutionRunId).fetchHistory();
    const ended = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    assert.ok(ended, 'the first run continued as new');
    // The catch-up that a fresh run does at once is not repeated by the next run: its schedule was carried.
    const catchUps = (history.events ?? []).filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'catchUpEvents',
    ).length;
    assert.equal(catchUps, 1);
  });

  it('an import handing over between pages read in parallel loses no page and repeats none', async () => {
    const { workspaceId, token } = stack.intercom.createWorkspace();
    seedCustomers(stack.stripe, { customers: 30, seed: 21 });
    const created = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token } },
    });
    const { id } = (await created.json()) as { id: string };
    const status = () => stack.api(`/installs/${id}`).then(async (res) => installStatusSchema.parse(await res.json()));
    await eventually(async () => ((await status()).state === 'live' ? true : undefined), 120_000, 'first import');

    // An import of its own that continues-as-new every ~60 history events: many hand-overs while customers pages
    // are being read and handed to the sync workflow.
    const more = seedCustomers(stack.stripe, { customers: 1_500, seed: 22, deleted: 0 });
    const handle = await stack.service.temporal.workflow.start('importWorkflow', {
      workflowId: `import:${id}`,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ installId: id, importId: 'imp_continue_as_new_test', historyLimit: 60 }],
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
    const progress = (await handle.result()) as { customersSeen: number; phase: string };
    assert.equal(progress.phase, 'done');

    // Some run handed over while the billing lists were read: it carried the customers list's first page, read with
    // the billing lists' first pages and not yet handed to the sync workflow.
    const runs: Array<{ phase?: string; customersFirstPage?: { customerIds: string[] } | null }> = [];
    for await (const run of stack.service.temporal.workflow.list({ query: `WorkflowId = 'import:${id}'` })) {
      const history = await stack.service.temporal.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const input = JSON.parse(
        Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString('utf8'),
      ) as ImportWorkflowInput;
      runs.push({ phase: input.resume?.progress.phase, customersFirstPage: input.resume?.customersFirstPage });
    }
    assert.ok(runs.length >= 4, `expected several continued import runs, saw ${runs.length}`);
    assert.ok(
      runs.some((run) => run.phase === 'billing' && (run.customersFirstPage?.customerIds.length ?? 0) > 0),
      `no run resumed the billing phase holding the customers' first page: ${JSON.stringify(runs.map((r) => r.phase))}`,
    );

    const contacts = stack.intercom.workspace(workspaceId).contacts;
    const emails = contacts.map((contact) => contact.email?.toLowerCase());
    assert.equal(new Set(emails).size, emails.length, 'no duplicated contact');
    for (const customer of more.filter((seeded) => seeded.email)) {
      assert.ok(emails.includes(customer.email!.toLowerCase()), `${customer.id} reached Intercom`);
    }
  });
});
