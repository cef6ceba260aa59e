import { Client, Connection } from '@temporalio/client';
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
