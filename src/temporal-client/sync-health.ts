import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { importWorkflowId, syncWorkflowId } from '../shared/ids';

/** A Temporal poller is live while it asked for work this recently (a long poll lasts up to ~70 s). */
const POLLER_LIVE_MS = 90_000;
/** How long one answer about the queue's pollers is reused (small beside POLLER_LIVE_MS). */
const WORKER_POLLING_REUSE_MS = 2_000;
/** A running activity whose last heartbeat is older than this is stalled (they heartbeat every 2 s). */
const STALLED_AFTER_MS = 15_000;

/** Temporal's `TaskQueueType` WORKFLOW and ACTIVITY: their pollers are listed separately. */
const TASK_QUEUE_TYPES = [1, 2];
/** Temporal's `PendingActivityState.STARTED`: a worker holds the attempt. */
const ACTIVITY_STARTED = 2;

/** One thing an install's workflows wait on, as the status shows it. */
export type WaitingOn =
  | { kind: 'no_worker'; taskQueue: string; message: string }
  | {
      kind: 'retrying';
      workflow: 'sync' | 'import';
      activity: string;
      /** The dependency whose failure is being retried (intercom, stripe, postgres, network), when known. */
      dependency: string | null;
      attempt: number;
      lastError: string | null;
      nextAttemptAt: string | null;
    }
  | {
      kind: 'stalled';
      workflow: 'sync' | 'import';
      activity: string;
      attempt: number;
      /** The last sign of life of the worker running it. */
      since: string;
      worker: string | null;
    };

export interface WorkflowsHealth {
  /** Whether some worker polls the task queue (workflow and activity tasks). */
  workerPolling: boolean;
  syncRunning: boolean;
  importRunning: boolean;
  /** How the import workflow's latest run ended (FAILED, TERMINATED, …) and when it started; null while running. */
  importEnded: { status: string; startedAt: Date } | null;
  waitingOn: WaitingOn[];
}

/**
 * What an install's workflows are waiting on, from what the Temporal server knows (no worker needed, so it answers
 * at once when none is up): which activities retry and why, which stalled on a dead worker's heartbeat, and whether
 * any worker polls the task queue.
 */
export class WorkflowsHealthProbe {
  constructor(
    private readonly client: Client,
    private readonly namespace: string,
    private readonly taskQueue: string,
  ) {}

  private recentPolling: { at: number; answer: Promise<boolean> } | null = null;

  /**
   * Whether some worker polls both the workflow and the activity task queue. One answer serves every install's
   * status for WORKER_POLLING_REUSE_MS: the queue is the same for all of them, and a poller stays live far longer.
   */
  workerPolling(now = Date.now()): Promise<boolean> {
    const recent = this.recentPolling;
    if (recent && now - recent.at >= 0 && now - recent.at < WORKER_POLLING_REUSE_MS) return recent.answer;
    const answer = this.askPollers(now);
    this.recentPolling = { at: now, answer };
    answer.catch(() => {
      if (this.recentPolling?.answer === answer) this.recentPolling = null;
    });
    return answer;
  }

  private async askPollers(now: number): Promise<boolean> {
    const queues = await Promise.all(
      TASK_QUEUE_TYPES.map((taskQueueType) =>
        this.client.workflowService.describeTaskQueue({
          namespace: this.namespace,
          taskQueue: { name: this.taskQueue },
          taskQueueType,
        }),
      ),
    );
    return queues.every((queue) =>
      (queue.pollers ?? []).some((poller) => now - (optionalTsToMs(poller.lastAccessTime) ?? 0) < POLLER_LIVE_MS),
    );
  }

  async check(installId: string): Promise<WorkflowsHealth> {
    const now = Date.now();
    const [workerPolling, sync, importRun] = await Promise.all([
      this.workerPolling(now),
      this.pendingActivities('sync', syncWorkflowId(installId), now),
      this.pendingActivities('import', importWorkflowId(installId), now),
    ]);
    const waitingOn: WaitingOn[] = [];
    if (!workerPolling && (sync.running || importRun.running)) {
      waitingOn.push({
        kind: 'no_worker',
        taskQueue: this.taskQueue,
        message: `no worker polling the task queue ${this.taskQueue}`,
      });
    }
    waitingOn.push(...sync.waitingOn, ...importRun.waitingOn);
    return {
      workerPolling,
      syncRunning: sync.running,
      importRunning: importRun.running,
      importEnded: importRun.ended,
      waitingOn,
    };
  }

  private async pendingActivities(
    workflow: 'sync' | 'import',
    workflowId: string,
    now: number,
  ): Promise<{ running: boolean; ended: { status: string; startedAt: Date } | null; waitingOn: WaitingOn[] }> {
    let description;
    try {
      description = await this.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { running: false, ended: null, waitingOn: [] };
      throw err;
    }
    if (description.status.name !== 'RUNNING') {
      return {
        running: false,
        ended: { status: description.status.name, startedAt: description.startTime },
        waitingOn: [],
      };
    }
    const waitingOn: WaitingOn[] = [];
    for (const pending of description.raw.pendingActivities ?? []) {
      const activity = pending.activityType?.name ?? 'unknown';
      const attempt = pending.attempt ?? 1;
      const lastSign = optionalTsToMs(pending.lastHeartbeatTime) ?? optionalTsToMs(pending.lastStartedTime);
      if (pending.state === ACTIVITY_STARTED && lastSign !== undefined) {
        if (now - lastSign > STALLED_AFTER_MS) {
          waitingOn.push({
            kind: 'stalled',
            workflow,
            activity,
            attempt,
            since: new Date(lastSign).toISOString(),
            worker: pending.lastWorkerIdentity || null,
          });
          continue;
        }
      }
      if (attempt > 1 && pending.lastFailure) {
        const failureType = pending.lastFailure.applicationFailureInfo?.type ?? null;
        const nextAttemptAt = optionalTsToMs(pending.scheduledTime);
        waitingOn.push({
          kind: 'retrying',
          workflow,
          activity,
          dependency: dependencyOfFailureType(failureType, pending.lastFailure.timeoutFailureInfo != null),
          attempt,
          lastError: pending.lastFailure.message ?? null,
          nextAttemptAt: nextAttemptAt === undefined ? null : new Date(nextAttemptAt).toISOString(),
        });
      }
    }
    return { running: true, ended: null, waitingOn };
  }
}

/** `IntercomUnavailable`, `StripeRateLimited`… name the dependency (src/activities/failures.ts); a timeout, the worker. */
function dependencyOfFailureType(type: string | null, timedOut: boolean): string | null {
  const match = type ? /^(Intercom|Stripe|Postgres|Network)(Unavailable|RateLimited)$/.exec(type) : null;
  if (match) return (match[1] as string).toLowerCase();
  return timedOut ? 'worker' : null;
}
