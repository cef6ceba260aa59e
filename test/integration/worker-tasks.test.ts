import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { syncWorkflowId } from '../../src/shared/ids';
import { workerIdentities } from '../support/histories';
import { chargeInIntercom, eventually, startTestStack, type TestStack } from '../support/stack';
import { pollsTaskQueue, startWorkerProcess, TASK_QUEUE_TYPES, type WorkerProcess } from '../support/worker-process';

describe('workers split by WORKER_TASKS', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let workflowsWorker: WorkerProcess;
  let activitiesWorker: WorkerProcess;

  before(async () => {
    stack = await startTestStack({ worker: false });
    const start = (tasks: 'workflows' | 'activities') =>
      startWorkerProcess({ config: stack.config, temporal: stack.service.temporal, tasks });
    [workflowsWorker, activitiesWorker] = await Promise.all([start('workflows'), start('activities')]);
  });
  after(async () => {
    await Promise.all([workflowsWorker?.kill('SIGTERM'), activitiesWorker?.kill('SIGTERM')]);
    await stack?.close();
  });

  it('each polls its own kind of task, and together they import an install and sync its changes', async () => {
    const { temporal } = stack.service;
    const polls = (worker: WorkerProcess, type: number) => pollsTaskQueue(temporal, stack.config, worker.pid, type);
    assert.equal(await polls(workflowsWorker, TASK_QUEUE_TYPES.activity), false, 'workflows worker polls activities');
    assert.equal(await polls(activitiesWorker, TASK_QUEUE_TYPES.workflow), false, 'activities worker polls workflows');

    const seeded = seedCustomers(stack.stripe, { customers: 40, seed: 61 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const response = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token } },
    });
    assert.equal(response.status, 202);
    const { id } = (await response.json()) as { id: string };
    await eventually(
      async () => {
        const status = (await (await stack.api(`/installs/${id}`)).json()) as { state: string };
        return status.state === 'live' || undefined;
      },
      180_000,
      'the install live',
    );
    const customer = seeded.find((c) => c.email && !c.deleted)!;
    const charge = stack.stripe.admin.createCharge({ customer: customer.id, amount: 2500, description: 'split' });
    await eventually(chargeInIntercom(stack, workspaceId, charge), 120_000, 'the charge in Intercom');

    const ran = await workerIdentities(temporal, syncWorkflowId(id));
    const pids = (identities: Set<string>) => [...identities].map((identity) => Number(identity.split('@')[0]));
    assert.deepEqual(pids(ran.workflowTasks), [workflowsWorker.pid], 'workflow tasks on the workflows worker alone');
    assert.deepEqual(pids(ran.activities), [activitiesWorker.pid], 'activities on the activities worker alone');
  });
});
