import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import type { StripePacers } from '../vendors/stripe-pacer';
import { sharedStripePacers } from '../db/stripe-budgets';
import {
  reconcileInstall,
  type CustomerDrift,
  type DriftReport,
  type ReconcileDeps,
  type ReconcileProgress,
} from './reconcile';

export type DriftJobState = 'running' | 'done' | 'failed';

export interface DriftJob {
  id: string;
  installId: string;
  state: DriftJobState;
  startedAt: string;
  finishedAt: string | null;
  progress: ReconcileProgress;
  /** Set once done. */
  report: DriftReport | null;
  /** Set once failed: what stopped it (a Stripe or Intercom error after its retries). */
  error: string | null;
}

/** A job's answer with one page of its drifted customers (a 10,000-customer report is too large for one answer). */
export interface DriftJobPage extends Omit<DriftJob, 'report'> {
  report: (Omit<DriftReport, 'drifted'> & { drifted: CustomerDrift[]; offset: number; driftedTotal: number }) | null;
}

/** Finished jobs kept per install (the newest), so their results can be fetched. */
const FINISHED_JOBS_KEPT = 3;

/**
 * Drift reports as jobs: reading a 10,000-customer account from Stripe and Intercom takes longer than an HTTP request
 * should wait (Stripe's per-account budget alone: some 300 list pages), so `start` answers at once with a job whose
 * progress and paged result are read with `page`. One job runs per install at a time (starting again joins it), and
 * every job of this process shares one StripePacers, the worker's too when it runs in this process (`npm start`): the
 * drift of an account never spends more of its Stripe budget than the pacer allows. Jobs live in this process (an API
 * replica answers for the jobs it started).
 */
export class DriftJobs {
  private readonly jobs = new Map<string, DriftJob[]>();
  private readonly stripePacers: StripePacers;

  /** `stripePacers`: the process's (shared with its worker); its own on the same PostgreSQL budgets when absent. */
  constructor(private readonly deps: ReconcileDeps & { logger: Logger }) {
    this.stripePacers = deps.stripePacers ?? sharedStripePacers(deps.pool);
  }

  /** Starts a drift report of the install, or returns the one already running. */
  start(installId: string): DriftJob {
    const running = this.of(installId).find((job) => job.state === 'running');
    if (running) return running;
    const job: DriftJob = {
      id: `drf_${randomBytes(9).toString('base64url')}`,
      installId,
      state: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: { phase: 'reading_stripe', stripeReads: 0, customersListed: 0, contactsListed: 0 },
      report: null,
      error: null,
    };
    const finished = this.of(installId).filter((other) => other.state !== 'running');
    this.jobs.set(installId, [job, ...finished.slice(0, FINISHED_JOBS_KEPT - 1)]);
    void reconcileInstall({ ...this.deps, stripePacers: this.stripePacers }, installId, {
      fix: false,
      onProgress: (progress) => (job.progress = { ...progress }),
    }).then(
      (report) => this.finish(job, { state: 'done', report }),
      (err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        this.deps.logger.warn({ installId, jobId: job.id, err: error }, 'drift job failed');
        this.finish(job, { state: 'failed', error });
      },
    );
    return job;
  }

  /** The job with `limit` drifted customers from `offset`; undefined when this process knows no such job. */
  page(installId: string, jobId: string, offset: number, limit: number): DriftJobPage | undefined {
    const job = this.of(installId).find((candidate) => candidate.id === jobId);
    if (!job) return undefined;
    const { report, ...rest } = job;
    return {
      ...rest,
      progress: { ...rest.progress },
      report: report && {
        ...report,
        drifted: report.drifted.slice(offset, offset + limit),
        offset,
        driftedTotal: report.drifted.length,
      },
    };
  }

  /** The install's newest job, running or finished. */
  latest(installId: string): DriftJob | undefined {
    return this.of(installId)[0];
  }

  private of(installId: string): DriftJob[] {
    return this.jobs.get(installId) ?? [];
  }

  private finish(job: DriftJob, outcome: Pick<DriftJob, 'state'> & Partial<Pick<DriftJob, 'report' | 'error'>>) {
    Object.assign(job, outcome, { finishedAt: new Date().toISOString() });
  }
}
