import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../src/config';
import { temporalConnectionOptions } from '../../src/infra/temporal-connection';

export interface HistoryTotals {
  /** Workflow runs of the install (the import, and the sync with its continue-as-new runs). */
  runs: number;
  events: number;
  bytes: number;
}

/**
 * The Temporal history an install has cost so far: every run (continue-as-new included) found by its InstallId search
 * attribute. Visibility is eventually consistent: read it after the install is done.
 */
export async function installHistory(config: Config, installId: string): Promise<HistoryTotals> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const totals: HistoryTotals = { runs: 0, events: 0, bytes: 0 };
    for await (const run of client.workflow.list({ query: `InstallId = "${installId}"` })) {
      totals.runs += 1;
      totals.events += run.historyLength;
      totals.bytes += run.historySize ?? 0;
    }
    return totals;
  } finally {
    await connection.close();
  }
}

/**
 * History events that Temporal Cloud bills as actions (https://docs.temporal.io/cloud/actions): a workflow started
 * (or continued as new), a signal received or sent, an activity scheduled (a retry is one more), a timer, a
 * search-attribute upsert. Counted from the install's real histories.
 */
const BILLED_EVENT_TYPES = new Set([
  'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
  'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  'EVENT_TYPE_TIMER_STARTED',
  'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
]);

export async function installActions(config: Config, installId: string): Promise<{ actions: number; retries: number }> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    let actions = 0;
    let retries = 0;
    for await (const run of client.workflow.list({ query: `InstallId = "${installId}"` })) {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const type = temporalEventTypeName(event.eventType);
        if (BILLED_EVENT_TYPES.has(type)) actions += 1;
        // Attempts beyond the first are billed too; the history shows them on the activity's start.
        const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
        if (attempt > 1) retries += attempt - 1;
      }
    }
    return { actions: actions + retries, retries };
  } finally {
    await connection.close();
  }
}

function temporalEventTypeName(type: unknown): string {
  if (typeof type === 'string') return type;
  return temporal.api.enums.v1.EventType[type as number] ?? String(type);
}
