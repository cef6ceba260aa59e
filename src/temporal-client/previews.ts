import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { previewProgressQuery, type PreviewProgress } from '../shared/preview';
import type { previewWorkflow } from '../workflows';

const QUERY_DEADLINE_MS = 5_000;

/**
 * The Stripe connection a preview belongs to: the account, and which connection of it (a hash of the sealed key or
 * the OAuth grant id, which change on every connect). A new connection never shows the preview of an old one.
 */
export interface PreviewConnection {
  stripeAccountId: string;
  /** The sealed key (ciphertext, fresh on every connect) or the grant id: hashed, never put in an id as it is. */
  credential: string;
}

/** A preview's progress or result, with when its run started and (once over) ended. */
export interface PreviewState {
  progress: PreviewProgress;
  startedAt: Date;
  closedAt: Date | null;
}

/** Starts a browser session's preview (once per Stripe connection) and reads its progress or result. */
export class PreviewRunner {
  constructor(private readonly options: { client: Client; taskQueue: string }) {}

  static workflowId(sessionId: string, connection: PreviewConnection): string {
    const connectionId = createHash('sha256').update(connection.credential).digest('base64url').slice(0, 12);
    return `preview:${sessionId}:${connection.stripeAccountId}:${connectionId}`;
  }

  /**
   * Starts the connection's preview unless it exists: reloading the page shows the same one rather than starting
   * another. `again`: start a new run of it once the last one is over (Retry, or a reload after a failure).
   */
  async ensure(sessionId: string, connection: PreviewConnection, again = false): Promise<void> {
    const workflowId = PreviewRunner.workflowId(sessionId, connection);
    try {
      await this.options.client.workflow.start<typeof previewWorkflow>('previewWorkflow', {
        workflowId,
        taskQueue: this.options.taskQueue,
        args: [{ sessionId, previewId: workflowId }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: again ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Preview for a browser session (Stripe ${connection.stripeAccountId})`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Live progress while it runs, its result once done; null before it exists. */
  async state(sessionId: string, connection: PreviewConnection): Promise<PreviewState | null> {
    const handle = this.options.client.workflow.getHandle(PreviewRunner.workflowId(sessionId, connection));
    try {
      return await this.options.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, async () => {
        const description = await handle.describe();
        const times = { startedAt: description.startTime, closedAt: description.closeTime ?? null };
        if (description.status.name === 'RUNNING')
          return { progress: await handle.query(previewProgressQuery), ...times };
        if (description.status.name === 'COMPLETED')
          return { progress: (await handle.result()) as PreviewProgress, ...times };
        return null;
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}
