import type { InstallService } from '../../installs/install-service';
import { count } from './html';

export type InstallStatusReport = Awaited<ReturnType<InstallService['status']>>;

export type Tone = 'good' | 'busy' | 'bad' | 'off';

/** What the status page shows, computed once for the first render and for every live update (status.json). */
export interface StatusView {
  state: string;
  health: { label: string; tone: Tone; detail: string };
  percent: number;
  progress: string;
  rate: string;
  timeLeft: string;
  counts: Record<'created' | 'matched' | 'skipped' | 'failed' | 'events' | 'queue', string>;
  webhooks: string;
  webhookLag: string;
  failures: number;
  importDone: boolean;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function healthOf(report: InstallStatusReport, importDone: boolean): StatusView['health'] {
  if (report.state === 'disabled') {
    return {
      label: 'Disconnected',
      tone: 'off',
      detail: report.lastError ?? 'Nothing is written to Intercom any more.',
    };
  }
  if (report.state === 'failed') {
    return {
      label: 'Needs attention',
      tone: 'bad',
      detail: sentence(report.lastError ?? 'The install stopped with an error.'),
    };
  }
  if (!importDone) return { label: 'Importing', tone: 'busy', detail: 'Your Stripe customers are being copied.' };
  if (report.sync.failed > 0) {
    return {
      label: 'Healthy, with failures',
      tone: 'good',
      detail: `${count(report.sync.failed)} ${report.sync.failed === 1 ? 'customer' : 'customers'} could not be written; see the list.`,
    };
  }
  return { label: 'Healthy', tone: 'good', detail: 'Stripe changes reach Intercom within seconds.' };
}

export function statusView(report: InstallStatusReport, nowMs = Date.now()): StatusView {
  const imp = report.import;
  const importDone = !imp || imp.status === 'completed' || imp.phase === 'done';
  const seen = imp?.customersSeen ?? 0;
  const total = Math.max(imp?.estimatedTotal ?? 0, seen);
  // Done means written to Intercom: customers read from Stripe but still queued in the sync workflow are not.
  const done = importDone ? seen : Math.max(0, seen - report.sync.queueDepth);
  const endMs = imp?.finishedAt ? Date.parse(imp.finishedAt) : nowMs;
  const elapsed = imp ? Math.max(1, (endMs - Date.parse(imp.startedAt)) / 1000) : 0;
  const rate = done / Math.max(elapsed, 1);
  const percent = importDone ? 100 : total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0;
  const progress = !imp
    ? 'No import has run yet.'
    : importDone
      ? `Import complete: ${count(seen)} customers.`
      : imp.phase === 'customers' || imp.phase === 'draining'
        ? `${count(done)} of about ${count(total)} customers in Intercom`
        : 'Reading your Stripe products, prices, subscriptions and charges…';
  const lag = report.webhooks.recentLagSeconds;
  return {
    state: report.state,
    health: healthOf(report, importDone),
    percent,
    progress,
    rate: rate === 0 ? '–' : `${count(Math.round(rate * 60))} customers/min`,
    timeLeft: importDone ? 'done' : rate > 0 && total > done ? duration((total - done) / rate) : 'estimating…',
    counts: {
      created: count(report.sync.created),
      matched: count(report.sync.matched),
      skipped: count(report.sync.skippedNoEmail),
      failed: count(report.sync.failed),
      events: count(report.sync.eventsSent),
      queue: count(report.sync.queueDepth),
    },
    webhooks: `${count(report.webhooks.received)} received, ${count(report.webhooks.processed)} applied`,
    webhookLag: lag === null || lag === undefined ? 'no recent events' : `${lag.toFixed(1)} s on average (last hour)`,
    failures: report.sync.failed,
    importDone,
  };
}
