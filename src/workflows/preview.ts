import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PreviewPageResult } from '../activities/preview';
import {
  emptyPreview,
  PREVIEW_SAMPLES,
  previewProgressQuery,
  type PreviewInput,
  type PreviewProgress,
} from '../shared/preview';

const { previewPage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InstallFailed'] },
});

/**
 * What an import would do, without writing anything: pages through the Stripe customers, looks their emails up in
 * Intercom, and counts matches, users to create and customers without an email; keeps five sample attribute sets.
 */
export async function previewWorkflow(input: PreviewInput): Promise<PreviewProgress> {
  const progress = emptyPreview();
  setHandler(previewProgressQuery, () => progress);
  let cursor: string | null = null;
  try {
    do {
      const page: PreviewPageResult = await previewPage({
        ...input,
        page: progress.pages,
        cursor,
        samplesWanted: PREVIEW_SAMPLES - progress.samples.length,
      });
      progress.pages += 1;
      progress.customers += page.customers;
      progress.matched += page.matched;
      progress.toCreate += page.toCreate;
      progress.noEmail += page.noEmail;
      progress.samples.push(...page.samples);
      cursor = page.nextCursor;
    } while (cursor);
    progress.phase = 'done';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    progress.phase = 'failed';
    progress.error = err.cause instanceof ApplicationFailure ? err.cause.message : err.message;
  }
  return progress;
}
