import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { bundleWorkflowsInChildProcess } from '../../src/infra/workflow-bundle';
import { runStartedAt, runTaskQueues } from './run-registry';
import type { TestTemporal } from './temporal';

/**
 * Replays every workflow run this test run started on the shared Temporal server (its task queues, since it began)
 * against the current workflow code: the histories the suites created are real runs of every shape they exercise
 * (crashes, hand-overs, resyncs, disables), so code that no longer replays them fails the run. Returns the failures.
 */
export async function replayRunHistories(temporal: TestTemporal): Promise<{ replayed: number; failures: string[] }> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection, namespace: temporal.namespace });
    const runs = client.workflow.list({ query: `StartTime >= '${runStartedAt.toISOString()}'` });
    async function* histories() {
      for await (const run of runs) {
        if (!runTaskQueues.has(run.taskQueue)) continue;
        const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
        yield { workflowId: run.workflowId, history };
      }
    }
    const workflowBundle = await bundleWorkflowsInChildProcess();
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories())) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId} ${result.runId}: ${result.error.message}`);
    }
    return { replayed, failures };
  } finally {
    await connection.close();
  }
}
