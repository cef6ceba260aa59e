import type { Pool } from 'pg';
import type { Install } from '../db/installs';
import type { InstallService } from '../installs/install-service';
import { mergeShownProgress, raiseShownPercent, runFacts, runHistory, type RunRecord } from '../db/import-progress';
import { observe, percentOf, PHASES, runProgress, type RunProgress } from './progress';
import { healthOf, noticesOf } from './trouble';
import type { InstallStatusAnswer } from './schema';

export type InstallStatusReport = Awaited<ReturnType<InstallService['status']>>;

/** Runs listed in the history (the page and GET /installs/:id). */
const HISTORY_LENGTH = 10;

export interface RunSummary {
  importId: string;
  kind: RunRecord['kind'];
  startedAt: string;
  finishedAt: string | null;
  /** The last phase the run reached (`done` once complete). */
  phaseReached: RunProgress['phase'];
  customersRead: number;
  customersDone: number;
  contactsWritten: number;
  outcome: 'running' | 'completed' | 'stopped';
}

/** The install's status with what an admin needs to read it: progress, trouble in words, the badge, the runs. */
export type FullStatus = InstallStatusAnswer;

function runSummary(run: RunRecord, latest: boolean, state: string): RunSummary {
  const completed = run.status === 'completed';
  // A run left unfinished is over once its workflow ended, a later one started, or the install stopped.
  const running = run.status === 'running' && latest && state !== 'failed' && state !== 'disabled';
  return {
    importId: run.importId,
    kind: run.kind,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    phaseReached: completed ? 'done' : run.phaseRank === 0 ? 'starting' : (PHASES[run.phaseRank - 1]?.name ?? 'done'),
    customersRead: run.customersRead,
    customersDone: run.customersDone,
    contactsWritten: run.contactsWritten,
    outcome: completed ? 'completed' : running ? 'running' : 'stopped',
  };
}

/** One status for GET /installs/:id, the status page and status.json. */
export class StatusReporter {
  constructor(private readonly deps: { pool: Pool; service: InstallService }) {}

  async status(install: Install, nowMs = Date.now()): Promise<FullStatus> {
    const { pool, service } = this.deps;
    const report = await service.status(install);
    const run = report.import;
    let progress: RunProgress | null = null;
    let linkedCustomers = 0;
    if (run) {
      const facts = await runFacts(pool, install.id, run.id);
      linkedCustomers = facts.linkedCustomers;
      const shown = await mergeShownProgress(pool, run.id, observe(report, run, facts));
      const percent = await raiseShownPercent(pool, run.id, percentOf(shown, facts));
      progress = runProgress({ report, run, facts, shown, percent, nowMs });
    }
    const runs = await runHistory(pool, install.id, HISTORY_LENGTH);
    const notices = noticesOf(report, nowMs);
    return {
      ...report,
      progress,
      notices,
      health: healthOf(report, notices, progress?.outcome === 'running', progress?.kind === 'resync'),
      runs: runs.map((record, index) => runSummary(record, index === 0, report.state)),
      linkedCustomers,
    };
  }
}
