import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const syncWorkflowId = (installId: string): string => `sync:${installId}`;
export const importWorkflowId = (installId: string): string => `import:${installId}`;

/** Registered on the Temporal server (see src/infra) so operators can list an install's workflows in the UI. */
export const installIdSearchAttribute = defineSearchAttributeKey('InstallId', SearchAttributeType.KEYWORD);
