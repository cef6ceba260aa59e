import { defineQuery } from '@temporalio/workflow';

/** What a preview finds (shared by the preview workflow, its activities and the preview page). */
export interface PreviewSample {
  customerId: string;
  email: string;
  /** Attribute name → value as the import would write it. */
  attributes: Record<string, string | number | boolean | null>;
}

export interface PreviewProgress {
  phase: 'reading' | 'done' | 'failed';
  pages: number;
  customers: number;
  /** Customers whose email belongs to an existing Intercom user (or lead, converted on import). */
  matched: number;
  /** Customers with an email no Intercom contact has: a user would be created. */
  toCreate: number;
  noEmail: number;
  samples: PreviewSample[];
  error: string | null;
}

export const emptyPreview = (): PreviewProgress => ({
  phase: 'reading',
  pages: 0,
  customers: 0,
  matched: 0,
  toCreate: 0,
  noEmail: 0,
  samples: [],
  error: null,
});

export const previewProgressQuery = defineQuery<PreviewProgress>('previewProgress');

export interface PreviewInput {
  /** The browser session whose connected credentials the preview reads with (its public id, never a secret). */
  sessionId: string;
  /** Names the preview: also the key of its distinct-email bookkeeping. */
  previewId: string;
}

export const PREVIEW_SAMPLES = 5;
