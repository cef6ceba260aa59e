import { randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Priority } from '@temporalio/common';
import { importWorkflowId, installIdSearchAttribute, syncWorkflowId } from '../shared/ids';
import {
  disableSignal,
  importProgressQuery,
  stripeEventsSignal,
  syncStatusQuery,
  type ImportProgress,
  type StripeEventRef,
  type SyncStatus,
} from '../shared/messages';
import type { importWorkflow, syncWorkflow } from '../workflows';
import { WorkflowsHealthProbe, type WorkflowsHealth } from './sync-health';
import { withTimeout } from '../infra/timing';
import { IMPORT_PRIORITY_KEY } from '../shared/priorities';

export interface WorkflowsOptions {
  client: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl: string;
}

export const newImportId = (): string => `imp_${randomBytes(9).toString('base64url')}`;

/**
 * Task queue priority and fairness (https://docs.temporal.io/develop/task-queue-priority-fairness): every task of an
 * install's workflows, and of their activities (which inherit it), carries the install's id as fairness key, so the
 * server hands out the queue's backlog across installs in turn instead of first come first served: one large import
 * no longer fills every worker slot while small installs wait behind it. An import's own tasks (its Stripe reads) are
 * at IMPORT_PRIORITY_KEY, below the default 3 of the sync workflows' (writes to Intercom), so a live change never
 * waits behind a backlog of import reads; the sync workflow writes customers only an import brought at that priority
 * too (workflows/sync.ts). Priority is on by default; fairness needs the server's
 * `matching.enableFairness` (the dev server we start sets it; a Temporal Cloud namespace enables it in its settings);
 * where it is off, the fairness key is ignored.
 */
const syncPriority = (installId: string): Priority => ({ fairnessKey: installId });
const importPriority = (installId: string): Priority => ({ priorityKey: IMPORT_PRIORITY_KEY, fairnessKey: installId });

/**
 * A sync run's workflow task may take this long before the server gives it to a worker again (Temporal's default is
 * 10 s, at most 120 s; raising it is for runs whose long histories take a worker longer than 10 s to load:
 * https://docs.temporal.io/encyclopedia/detecting-workflow-failures#workflow-task-timeout). A sync run's history
 * reaches RUN_HISTORY_EVENTS (1,000). On a saturated machine (bench:fleet's arrival run on a slow 2-core VM) the
 * importing install's run had tasks of 15–49 s: each one past 10 s was discarded, the run evicted from the worker's
 * cache, and the next task replayed the whole history, slower still; its live changes waited up to 137 s. The cost: a
 * task a dying worker had started waits this long to run again. Continued runs keep it (the server carries it over);
 * runs started before keep their 10 s until the install's sync is started again.
 */
export const SYNC_WORKFLOW_TASK_TIMEOUT_MS = 30_000;

/** How the API and activities start, signal and query an install's workflows. */
export class InstallWorkflows {
  constructor(private readonly options: WorkflowsOptions) {}

  uiLink(workflowId: string): string {
    const { temporalUiUrl, namespace } = this.options;
    return `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  links(installId: string): { sync: string; import: string } {
    return { sync: this.uiLink(syncWorkflowId(installId)), import: this.uiLink(importWorkflowId(installId)) };
  }

  /**
   * Starts the install's sync workflow unless it runs already; with `replaceRunning`, a running one is terminated and
   * replaced (a run that failed the install is still closing: reused, it would close under the new import).
   */
  async ensureSync(installId: string, options: { replaceRunning?: boolean } = {}): Promise<void> {
    await this.options.client.workflow.start<typeof syncWorkflow>('syncWorkflow', {
      workflowId: syncWorkflowId(installId),
      taskQueue: this.options.taskQueue,
      args: [{ installId }],
      priority: syncPriority(installId),
      workflowTaskTimeout: SYNC_WORKFLOW_TASK_TIMEOUT_MS,
      workflowIdConflictPolicy: options.replaceRunning
        ? WorkflowIdConflictPolicy.TERMINATE_EXISTING
        : WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [{ key: installIdSearchAttribute, value: installId }],
      staticSummary: `Sync to Intercom for install ${installId}`,
    });
  }

  /**
   * Starts a backfill; when one is running, returns its id instead, unless `replaceRunning`: then the running one is
   * terminated and this one takes its place (an import left over from a run that failed the install).
   */
  async startImport(
    installId: string,
    importId: string,
    options: { replaceRunning?: boolean } = {},
  ): Promise<{ importId: string; started: boolean }> {
    try {
      await this.options.client.workflow.start<typeof importWorkflow>('importWorkflow', {
        workflowId: importWorkflowId(installId),
        taskQueue: this.options.taskQueue,
        args: [{ installId, importId }],
        priority: importPriority(installId),
        workflowIdConflictPolicy: options.replaceRunning
          ? WorkflowIdConflictPolicy.TERMINATE_EXISTING
          : WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [{ key: installIdSearchAttribute, value: installId }],
        staticSummary: `Import ${importId} of install ${installId}`,
      });
      return { importId, started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const running = await this.importProgress(installId).catch(() => null);
      return { importId: running?.importId ?? importId, started: false };
    }
  }

  /**
   * Hands recorded events to the sync workflow, starting it if needed (signal-with-start). With a deadline the call
   * and the SDK's own retries stop at it (gRPC DEADLINE_EXCEEDED is not retried), so nothing is left retrying in the
   * background after the caller gave up.
   */
  async signalEvents(installId: string, refs: StripeEventRef[], deadline?: Date): Promise<void> {
    const signal = async () => {
      try {
        await this.options.client.workflow.getHandle(syncWorkflowId(installId)).signal(stripeEventsSignal, refs);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await this.signalWithStartEvents(installId, refs);
      }
    };
    await (deadline ? this.options.client.connection.withDeadline(deadline, signal) : signal());
  }

  private async signalWithStartEvents(installId: string, refs: StripeEventRef[]): Promise<void> {
    await this.options.client.workflow.signalWithStart<typeof syncWorkflow, [StripeEventRef[]]>('syncWorkflow', {
      workflowId: syncWorkflowId(installId),
      taskQueue: this.options.taskQueue,
      args: [{ installId }],
      signal: stripeEventsSignal,
      signalArgs: [refs],
      priority: syncPriority(installId),
      workflowTaskTimeout: SYNC_WORKFLOW_TASK_TIMEOUT_MS,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [{ key: installIdSearchAttribute, value: installId }],
      staticSummary: `Sync to Intercom for install ${installId}`,
    });
  }

  /** Stops the install's workflows and waits (up to `waitMs`) for in-flight writes to finish. */
  async disable(installId: string, waitMs = 30_000): Promise<void> {
    const sync = this.options.client.workflow.getHandle(syncWorkflowId(installId));
    await ignoreNotFound(() => this.options.client.workflow.getHandle(importWorkflowId(installId)).cancel());
    await ignoreNotFound(() => sync.signal(disableSignal));
    // However it closes (an operator may have terminated it) the sync is stopped: that is all a disable waits for.
    await this.waitForSyncClosed(installId, waitMs);
  }

  /** Waits (up to `waitMs`) for the install's sync workflow to close, however it ends; never throws. */
  async waitForSyncClosed(installId: string, waitMs: number): Promise<void> {
    const sync = this.options.client.workflow.getHandle(syncWorkflowId(installId));
    await withTimeout('the sync workflow to close', waitMs, sync.result()).catch(() => undefined);
  }

  /** What the install's workflows wait on (retries, stalls, no worker), from the server alone: answers at once. */
  health(installId: string): Promise<WorkflowsHealth> {
    return this.healthProbe().check(installId);
  }

  /** Whether some worker polls the task queue. */
  workerPolling(): Promise<boolean> {
    return this.healthProbe().workerPolling();
  }

  private probe: WorkflowsHealthProbe | null = null;

  private healthProbe(): WorkflowsHealthProbe {
    const { client, namespace, taskQueue } = this.options;
    this.probe ??= new WorkflowsHealthProbe(client, namespace, taskQueue);
    return this.probe;
  }

  /** `knownRunning`: the caller has just described the run (the health probe did), so it is not described again. */
  async syncStatus(installId: string, options: { knownRunning?: boolean } = {}): Promise<SyncStatus | null> {
    const handle = this.options.client.workflow.getHandle(syncWorkflowId(installId));
    return this.queryIfRunning(handle, () => handle.query(syncStatusQuery), options.knownRunning);
  }

  /** `knownRunning`: as for syncStatus. */
  async importProgress(installId: string, options: { knownRunning?: boolean } = {}): Promise<ImportProgress | null> {
    const handle = this.options.client.workflow.getHandle(importWorkflowId(installId));
    return this.queryIfRunning(handle, () => handle.query(importProgressQuery), options.knownRunning);
  }

  /**
   * A query needs a worker to answer it; with none polling, Temporal would hold the call for its full timeout.
   * The deadline keeps status pages responsive: callers fall back to what Postgres knows.
   */
  private async queryIfRunning<T>(
    handle: WorkflowHandle,
    query: () => Promise<T>,
    knownRunning = false,
  ): Promise<T | null> {
    try {
      return await this.options.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, async () => {
        if (!knownRunning && (await handle.describe()).status.name !== 'RUNNING') return null;
        return await query();
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}

const QUERY_DEADLINE_MS = 5_000;

async function ignoreNotFound(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    // A workflow that already finished cannot be signalled or cancelled: the goal is reached.
    if (err instanceof Error && /already completed|not found|workflow execution already/i.test(err.message)) return;
    throw err;
  }
}
