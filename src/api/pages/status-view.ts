import type { FullStatus } from '../../status/report';
import { PHASES, type RunProgress } from '../../status/progress';
import { duration, type Fix, type Health } from '../../status/trouble';
import { count } from './html';

/** A notice as the page shows it: the sentence, and the way forward when the admin has one. */
export interface NoticeView {
  tone: 'bad' | 'warn' | 'info';
  text: string;
  link: { href: string; label: string } | null;
}

export interface PhaseView {
  label: string;
  state: 'done' | 'current' | 'waiting';
  /** The state in words, for screen readers and for anyone who does not read colour. */
  stateText: string;
}

/** What the status page shows, computed once for the first render and for every live update (status.json). */
export interface StatusView {
  state: string;
  health: Health;
  notices: NoticeView[];
  /** What a screen reader announces (a polite live region): the badge, the phase and the percentage in tens. */
  announce: string;
  percent: number | null;
  percentText: string;
  progress: string;
  totalNote: string;
  phases: PhaseView[];
  timeLeft: string;
  breakdown: string;
  counts: Record<'created' | 'matched' | 'skipped' | 'failed' | 'events' | 'queue', string>;
  webhooks: string;
  webhookLag: string;
  failures: number;
  importRunning: boolean;
  runs: { kind: string; started: string; ended: string; reached: string; figures: string; outcome: string }[];
}

const PHASE_STATE_TEXT: Record<PhaseView['state'], string> = { done: 'done', current: 'in progress', waiting: 'to do' };

function fixLink(fix: Fix | null, installId: string): NoticeView['link'] {
  switch (fix) {
    case 'reconnect_intercom':
      return { href: '#reconnect-intercom', label: 'Reconnect Intercom' };
    case 'reconnect_stripe':
      return { href: '#reconnect-stripe', label: 'Reconnect Stripe' };
    case 'see_failures':
      return { href: `/app/installs/${installId}/failures`, label: 'See the failures' };
    case 'see_warnings':
      return { href: '#warnings', label: 'See the customers' };
    case 'connect_again':
      return { href: '/app', label: 'Connect again' };
    case null:
      return null;
  }
}

const utc = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function progressText(progress: RunProgress): string {
  const resync = progress.kind === 'resync';
  const done = count(progress.customersDone);
  const total = progress.total === null ? null : count(progress.total);
  const changed = `${count(progress.contactsWritten)} changed`;
  const stopped = progress.outcome === 'stopped' ? 'Stopped. ' : '';
  switch (progress.phase) {
    case 'starting':
      return `${stopped}Starting…`;
    case 'billing':
      return `${stopped}Reading Stripe's billing lists: ${count(progress.billingObjects)} products, prices, coupons, subscriptions and charges read.`;
    case 'customers':
      if (resync) return `${stopped}Checked ${done} of about ${total ?? '–'} customers, ${changed}.`;
      return total === null
        ? `${stopped}${done} customers written to Intercom so far.`
        : `${stopped}${done} of about ${total} customers written to Intercom.`;
    case 'finishing':
      return `${stopped}Finishing: ${done} of ${count(progress.customersRead)} customers ${resync ? 'checked' : 'written'}; waiting for the last ones.`;
    case 'done':
      return resync
        ? `Resync complete: ${count(progress.customersRead)} customers checked, ${changed}.`
        : `Import complete: ${count(progress.customersRead)} customers read from Stripe.`;
  }
}

function totalNote(progress: RunProgress | null): string {
  if (!progress || progress.phase === 'done') return '';
  switch (progress.totalBasis) {
    case 'preview':
      return 'The total is the preview’s count just before the import; customers added since are read too.';
    case 'earlier_runs':
      return 'The total is how many customers the earlier runs read; customers added or deleted since change it.';
    default:
      return progress.phase === 'billing' || progress.phase === 'starting'
        ? 'Stripe gives no count in advance: customers are counted as they are read.'
        : 'Stripe gives no count in advance, so there is no percentage: customers are counted as they are read.';
  }
}

function breakdown(status: FullStatus): string {
  const progress = status.progress;
  if (!progress || progress.phase !== 'done') return '';
  const { created, matched, skippedNoEmail, failed } = status.sync;
  return (
    `${count(progress.customersRead)} customers: ${count(status.linkedCustomers)} on an Intercom user ` +
    `(${count(created)} users created, ${count(matched)} existing users matched; customers sharing an email share ` +
    `one user), ${count(skippedNoEmail)} without an email (skipped), ${count(failed)} failed.` +
    (progress.kind === 'resync' ? ' A resync writes only the customers whose Intercom attributes changed.' : '')
  );
}

function webhooksText(status: FullStatus): string {
  const { received, processed, pending, failed } = status.webhooks;
  if (received === 0) return 'None received yet: Stripe sends one when a customer, subscription or payment changes.';
  const ignored = Object.values(status.webhooks.ignored).reduce((sum, n) => sum + n, 0);
  return (
    `${count(received)} received: ${count(processed)} applied, ${count(pending)} waiting to be applied, ` +
    `${count(failed)} failed` +
    (ignored > 0 ? `; ${count(ignored)} ignored (test mode, another account, or nothing we sync)` : '') +
    '.'
  );
}

function announce(status: FullStatus): string {
  const progress = status.progress;
  const phase = progress?.phases.find((candidate) => candidate.state === 'current')?.label;
  const tens =
    progress?.percent === null || progress?.percent === undefined ? null : Math.floor(progress.percent / 10) * 10;
  const notice = status.notices[0]?.text ?? '';
  return [status.health.label, phase, tens === null ? null : `${tens} %`, notice].filter(Boolean).join('. ');
}

export function statusView(status: FullStatus): StatusView {
  const progress = status.progress;
  const percent = progress?.percent ?? null;
  const running = progress?.outcome === 'running';
  const lag = status.webhooks.recentLagSeconds;
  return {
    state: status.state,
    health: status.health,
    notices: status.notices.map((notice) => ({
      tone: notice.tone,
      text: notice.text,
      link: fixLink(notice.fix, status.id),
    })),
    announce: announce(status),
    percent,
    percentText: percent === null ? '' : `${percent} %`,
    progress: progress ? progressText(progress) : 'No import has run yet.',
    totalNote: totalNote(progress),
    phases: (progress?.phases ?? []).map((phase) => ({
      label: phase.label,
      state: progress?.phase === 'done' ? 'done' : phase.state,
      stateText: PHASE_STATE_TEXT[progress?.phase === 'done' ? 'done' : phase.state],
    })),
    timeLeft: !running
      ? '—'
      : status.health.tone === 'warn' || status.health.tone === 'bad'
        ? 'not known while the sync waits (see above)'
        : progress?.secondsLeft !== null && progress?.secondsLeft !== undefined
          ? `about ${duration(progress.secondsLeft)}`
          : progress?.phase === 'customers' && progress.total !== null
            ? 'estimating…'
            : '—',
    breakdown: breakdown(status),
    counts: {
      created: count(status.sync.created),
      matched: count(status.sync.matched),
      skipped: count(status.sync.skippedNoEmail),
      failed: count(status.sync.failed),
      events: count(status.sync.eventsSent),
      queue: count(status.sync.queueDepth),
    },
    webhooks: webhooksText(status),
    webhookLag:
      lag === null || lag === undefined ? 'no events in the last hour' : `${lag.toFixed(1)} s on average (last hour)`,
    failures: status.sync.failed,
    importRunning: running,
    runs: status.runs.map((run) => ({
      kind: run.kind === 'resync' ? 'Resync' : 'Import',
      started: utc(run.startedAt),
      ended: run.finishedAt ? utc(run.finishedAt) : run.outcome === 'running' ? 'running' : '—',
      // The run in progress is shown live above; its row here would only fall behind.
      reached:
        run.outcome === 'running'
          ? 'in progress (above)'
          : (PHASES.find((phase) => phase.name === run.phaseReached)?.label ??
            (run.phaseReached === 'done' ? 'Done' : 'Starting')),
      figures:
        run.outcome === 'running'
          ? 'see above'
          : `${count(run.customersRead)} read, ${count(run.customersDone)} ${run.kind === 'resync' ? 'checked' : 'written'}, ${count(run.contactsWritten)} ${run.contactsWritten === 1 ? 'contact' : 'contacts'} written`,
      outcome: run.outcome === 'completed' ? 'Completed' : run.outcome === 'running' ? 'Running' : 'Stopped',
    })),
  };
}
