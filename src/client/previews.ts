import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { previewProgressQuery, type PreviewProgress } from '../shared/preview';
import type { previewWorkflow } from '../workflows';

const QUERY_DEADLINE_MS = 5_000;

/** Starts a browser session's preview (once per connected Stripe account) and reads its progress or result. */
export class PreviewRunner {
  constructor(private readonly options: { client: Client; taskQueue: string }) {}

  static workflowId(sessionId: string, stripeAccountId: string): string {
    return `preview:${sessionId}:${stripeAccountId}`;
  }

  async ensure(sessionId: string, stripeAccountId: string): Promise<void> {
    const workflowId = PreviewRunner.workflowId(sessionId, stripeAccountId);
    try {
      await this.options.client.workflow.start<typeof previewWorkflow>('previewWorkflow', {
        workflowId,
        taskQueue: this.options.taskQueue,
        args: [{ sessionId, previewId: workflowId }],
        // One preview per connection: reloading the page shows the same one rather than starting another.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Preview for a browser session (Stripe ${stripeAccountId})`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Live progress while it runs, its result once done; null before it exists. */
  async progress(sessionId: string, stripeAccountId: string): Promise<PreviewProgress | null> {
    const handle = this.options.client.workflow.getHandle(PreviewRunner.workflowId(sessionId, stripeAccountId));
    try {
      return await this.options.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, async () => {
        const description = await handle.describe();
        if (description.status.name === 'RUNNING') return await handle.query(previewProgressQuery);
        if (description.status.name === 'COMPLETED') return (await handle.result()) as PreviewProgress;
        return null;
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}
