import type { ObservedProgress, RunFacts, ShownProgress } from '../db/import-progress';
import type { InstallStatusReport } from './report';

/** The phases of an import or resync, in order; each shows counts that only grow within the run. */
export const PHASES = [
  { name: 'billing', label: "Reading Stripe's billing lists" },
  { name: 'customers', label: 'Writing customers to Intercom' },
  { name: 'finishing', label: 'Finishing' },
] as const;

export type PhaseName = (typeof PHASES)[number]['name'];

/** 0: not started, 1–3: PHASES, 4: done. */
const DONE_RANK = 4;
const CUSTOMERS_RANK = 2;
const FINISHING_RANK = 3;

/** The share of the bar each phase fills: billing lists up to 10 %, customers up to 95 %, the rest when done. */
const BILLING_END = 10;
const CUSTOMERS_END = 95;

/** Time left is shown once the customers phase has run this long and done this share of the total. */
const STABLE_AFTER_MS = 20_000;
const STABLE_AFTER_SHARE = 0.05;

/** The import workflow's phase names (ImportProgress) and the import row's statuses, as ranks. */
const RANK_OF_PHASE: Record<string, number> = { billing: 1, customers: 2, draining: 3, done: 4, completed: 4 };

/** One run (the first import or a resync) as the API and the status page both show it. */
export interface RunProgress {
  importId: string;
  kind: 'import' | 'resync';
  phase: PhaseName | 'starting' | 'done';
  phases: { name: PhaseName; label: string; state: 'done' | 'current' | 'waiting' }[];
  /** Billing objects (products, prices, coupons, subscriptions, charges) read in this run. */
  billingObjects: number;
  customersRead: number;
  /** Written to Intercom (import) or checked against it (resync): a customer written or found unchanged. */
  customersDone: number;
  /** Intercom contacts created or updated during the run. */
  contactsWritten: number;
  /** About how many customers the run goes through; null when no defensible figure is known (no percentage then). */
  total: number | null;
  /** Where the total comes from: the preview's count, or the customers the earlier runs read. */
  totalBasis: 'preview' | 'earlier_runs' | 'final' | null;
  percent: number | null;
  /** From the customers phase's own rate, once that is stable; null before. */
  secondsLeft: number | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'running' | 'completed' | 'stopped';
}

type ImportReport = NonNullable<InstallStatusReport['import']>;

/** What the sources say now; null where they do not answer (the shown figure then stays). */
export function observe(report: InstallStatusReport, run: ImportReport, facts: RunFacts): ObservedProgress {
  // Without the import's own answer (a worker restarting, a slow query), its row still tells: it records customers
  // pages only, so pages there mean the customers phase has begun.
  const reported = RANK_OF_PHASE[run.phase] ?? (run.status === 'running' && run.pages > 0 ? CUSTOMERS_RANK : null);
  const seen = run.customersSeen;
  // Customers read but still queued in the sync workflow are not done; without the sync's answer nothing is known.
  const syncAnswered = report.sync.maxQueueDepth !== null;
  const done =
    reported === DONE_RANK
      ? seen
      : reported !== null && reported >= CUSTOMERS_RANK && syncAnswered
        ? Math.max(0, seen - report.sync.queueDepth)
        : null;
  // The import drains once every customers page is read, but the last pages are still being written then: that is
  // the writing phase until every customer read is done.
  const rank = reported === FINISHING_RANK && (done === null || done < seen) ? CUSTOMERS_RANK : reported;
  return {
    phaseRank: rank,
    billingObjects: facts.billingRead,
    customersRead: seen,
    customersDone: done,
    contactsWritten: facts.contactsWritten,
    total: totalOf(facts, seen, rank),
    percent: null,
  };
}

function totalOf(facts: RunFacts, seen: number, rank: number | null): number | null {
  if (rank === DONE_RANK) return seen;
  if (facts.resync) return Math.max(facts.mirroredCustomers, seen);
  return facts.expectedCustomers === null ? null : Math.max(facts.expectedCustomers, seen);
}

function totalBasis(facts: RunFacts, shown: ShownProgress): RunProgress['totalBasis'] {
  if (shown.phaseRank === DONE_RANK) return 'final';
  if (shown.total === null) return null;
  return facts.resync ? 'earlier_runs' : 'preview';
}

/** The percentage the figures shown support: each phase stays within its share of the bar. */
export function percentOf(shown: ShownProgress, facts: RunFacts): number | null {
  switch (shown.phaseRank) {
    case DONE_RANK:
      return 100;
    case FINISHING_RANK:
      return CUSTOMERS_END + Math.floor((4 * shown.customersDone) / Math.max(shown.customersRead, 1));
    case CUSTOMERS_RANK:
      return shown.total === null
        ? null
        : BILLING_END +
            Math.floor((CUSTOMERS_END - BILLING_END) * Math.min(shown.customersDone / Math.max(shown.total, 1), 1));
    case 1: {
      // A resync knows how many billing objects the earlier runs read; a first import has no such bound.
      const known = facts.billingKnownBefore + facts.billingRead;
      return facts.resync && facts.billingKnownBefore > 0
        ? Math.floor(BILLING_END * Math.min(shown.billingObjects / known, 0.99))
        : null;
    }
    default:
      return null;
  }
}

/** Time left from the customers phase's own rate, once it has run long enough to be stable. */
export function secondsLeftOf(shown: ShownProgress, nowMs: number): number | null {
  if (shown.phaseRank !== CUSTOMERS_RANK || shown.total === null || shown.customersStartedAt === null) return null;
  const elapsedMs = nowMs - shown.customersStartedAt.getTime();
  const doneInPhase = shown.customersDone - (shown.customersDoneAtStart ?? 0);
  if (elapsedMs < STABLE_AFTER_MS || doneInPhase < Math.max(1, STABLE_AFTER_SHARE * shown.total)) return null;
  const left = Math.max(0, shown.total - shown.customersDone);
  return Math.ceil(left / (doneInPhase / (elapsedMs / 1000)));
}

export function runProgress(options: {
  report: InstallStatusReport;
  run: ImportReport;
  facts: RunFacts;
  shown: ShownProgress;
  percent: number | null;
  nowMs: number;
}): RunProgress {
  const { report, run, facts, shown } = options;
  const rank = shown.phaseRank;
  const completed = run.status === 'completed' || rank === DONE_RANK;
  // A run whose workflow ended without completing (its row says so), or of an install that stopped.
  const stopped = !completed && (run.status !== 'running' || report.state === 'failed' || report.state === 'disabled');
  return {
    importId: run.id,
    kind: facts.resync ? 'resync' : 'import',
    phase: rank === DONE_RANK ? 'done' : rank === 0 ? 'starting' : (PHASES[rank - 1]?.name ?? 'starting'),
    phases: PHASES.map((phase, index) => ({
      name: phase.name,
      label: phase.label,
      state: index + 1 < rank ? 'done' : index + 1 === rank ? 'current' : 'waiting',
    })),
    billingObjects: shown.billingObjects,
    customersRead: shown.customersRead,
    customersDone: shown.customersDone,
    contactsWritten: shown.contactsWritten,
    total: shown.total,
    totalBasis: totalBasis(facts, shown),
    percent: options.percent,
    secondsLeft: secondsLeftOf(shown, options.nowMs),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    outcome: completed ? 'completed' : stopped ? 'stopped' : 'running',
  };
}
