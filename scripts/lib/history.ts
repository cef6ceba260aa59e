import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
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

/**
 * Where an install's time went until `untilMs`, summed over its runs (the import and the sync): how long workflow
 * tasks and activities waited in Temporal's queues (scheduled to started) and ran (started to completed), and when its
 * first run started. A small install's steps are mostly one after another, so the sums show what its time to live is
 * made of: the service's own work, or waits for a worker or the server.
 */
export interface InstallTimeline {
  /** From `sinceMs` (the install's POST) to the first run's start: the API's install steps. */
  toFirstRunSeconds: number;
  workflowTaskWaitSeconds: number;
  workflowTaskRunSeconds: number;
  workflowTasks: number;
  activityWaitSeconds: number;
  activityRunSeconds: number;
  /** activityRunSeconds by activity type. */
  activityRunSecondsByType: Record<string, number>;
  activities: number;
  /** Local activities run inside workflow tasks: counted in workflowTaskRunSeconds. */
  localActivities: number;
}

export async function installTimeline(
  config: Config,
  installId: string,
  window: { sinceMs: number; untilMs: number },
): Promise<InstallTimeline> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const timeline: InstallTimeline = {
      toFirstRunSeconds: Infinity,
      workflowTaskWaitSeconds: 0,
      workflowTaskRunSeconds: 0,
      workflowTasks: 0,
      activityWaitSeconds: 0,
      activityRunSeconds: 0,
      activityRunSecondsByType: {},
      activities: 0,
      localActivities: 0,
    };
    for await (const run of client.workflow.list({ query: `InstallId = "${installId}"` })) {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const at = new Map<number, number>();
      const activityTypes = new Map<number, string>();
      for (const event of history.events ?? []) {
        const id = Number(event.eventId);
        const time = tsToMs(event.eventTime);
        at.set(id, time);
        if (time > window.untilMs) break;
        const since = (eventId: unknown) => (time - (at.get(Number(eventId)) ?? time)) / 1000;
        const type = temporalEventTypeName(event.eventType);
        if (type === 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED') {
          timeline.toFirstRunSeconds = Math.min(timeline.toFirstRunSeconds, (time - window.sinceMs) / 1000);
        } else if (type === 'EVENT_TYPE_WORKFLOW_TASK_STARTED') {
          timeline.workflowTaskWaitSeconds += since(event.workflowTaskStartedEventAttributes?.scheduledEventId);
          timeline.workflowTasks += 1;
        } else if (type === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') {
          timeline.workflowTaskRunSeconds += since(event.workflowTaskCompletedEventAttributes?.startedEventId);
        } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') {
          activityTypes.set(id, event.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown');
        } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_STARTED') {
          timeline.activityWaitSeconds += since(event.activityTaskStartedEventAttributes?.scheduledEventId);
          timeline.activities += 1;
        } else if (type === 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') {
          const attributes = event.activityTaskCompletedEventAttributes;
          const seconds = since(attributes?.startedEventId);
          const activityType = activityTypes.get(Number(attributes?.scheduledEventId)) ?? 'unknown';
          timeline.activityRunSeconds += seconds;
          timeline.activityRunSecondsByType[activityType] =
            (timeline.activityRunSecondsByType[activityType] ?? 0) + seconds;
        } else if (
          type === 'EVENT_TYPE_MARKER_RECORDED' &&
          event.markerRecordedEventAttributes?.markerName === 'core_local_activity'
        ) {
          timeline.localActivities += 1;
        }
      }
    }
    return timeline;
  } finally {
    await connection.close();
  }
}
