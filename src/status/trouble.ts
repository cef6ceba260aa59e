import type { WaitingOn } from '../temporal-client/sync-health';
import type { InstallStatusReport } from './report';

/** What fixes a notice, when the admin can do something: the page turns it into a button or link. */
export type Fix = 'reconnect_intercom' | 'reconnect_stripe' | 'see_failures' | 'see_warnings' | 'connect_again';

/** One thing that is wrong or worth knowing, as a sentence: what happened, what the service does, what to do. */
export interface Notice {
  key: string;
  tone: 'bad' | 'warn' | 'info';
  text: string;
  fix: Fix | null;
}

export type Tone = 'good' | 'busy' | 'warn' | 'bad' | 'off';

export interface Health {
  label: string;
  tone: Tone;
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A reason as a sentence: capitalised, without a final full stop (the caller adds one). */
const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1).replace(/\.$/, '');

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const DEPENDENCY_NAMES: Record<string, string> = {
  intercom: 'Intercom',
  stripe: 'Stripe',
  postgres: "The service's database",
  network: 'The network',
  worker: 'A worker',
};

/** The HTTP status a vendor error names ("Status code: 503", "(HTTP 401)", "503 Service Unavailable"), if any. */
export function httpStatusIn(message: string | null): string | null {
  const match =
    /(?:status(?: code)?:?\s*|HTTP\s*|\()([45]\d\d)\b/i.exec(message ?? '') ?? /\b(5\d\d|429)\b/.exec(message ?? '');
  return match?.[1] ?? null;
}

function retryingNotice(waiting: Extract<WaitingOn, { kind: 'retrying' }>, nowMs: number): Notice {
  const who = DEPENDENCY_NAMES[waiting.dependency ?? ''] ?? 'A step of the sync';
  const status = httpStatusIn(waiting.lastError);
  const rateLimited = status === '429' || /rate.?limit/i.test(waiting.lastError ?? '');
  const next = waiting.nextAttemptAt === null ? null : (Date.parse(waiting.nextAttemptAt) - nowMs) / 1000;
  const when = next === null ? '' : next <= 1 ? '; trying again now' : `; next try in ${duration(next)}`;
  const what = rateLimited
    ? `${who} asked us to slow down (rate limit, 429). Waiting for its next window`
    : `${who} is not answering${status ? ` (${status})` : ''}. Retrying, attempt ${waiting.attempt}${when}`;
  return {
    key: `retrying:${waiting.workflow}:${waiting.activity}`,
    tone: 'warn',
    text: `${what}. Nothing is lost: the ${waiting.workflow === 'import' ? 'import' : 'sync'} goes on where it stopped once it answers.`,
    fix: null,
  };
}

function waitingNotice(waiting: WaitingOn, nowMs: number): Notice {
  switch (waiting.kind) {
    case 'no_worker':
      return {
        key: 'no_worker',
        tone: 'bad',
        text:
          "The service's worker is not running, so nothing is being read or written. Nothing is lost: work resumes " +
          'where it stopped as soon as the worker is back. If this lasts more than a few minutes, tell whoever runs ' +
          'this service.',
        fix: null,
      };
    case 'stalled':
      return {
        key: `stalled:${waiting.workflow}:${waiting.activity}`,
        tone: 'warn',
        text:
          `A worker stopped answering in the middle of a step (last sign of life ${waiting.since.slice(11, 19)} UTC). ` +
          'The step is handed to another worker after a short timeout; nothing is lost.',
        fix: null,
      };
    case 'retrying':
      return retryingNotice(waiting, nowMs);
  }
}

/** Why an install stopped, in words, with the fix. */
function stoppedNotice(lastError: string | null): Notice {
  const error = lastError ?? 'no reason was recorded';
  if (/intercom/i.test(error) && /(401|403|access token|unauthori[sz]ed|revoked)/i.test(error)) {
    return {
      key: 'intercom_rejected',
      tone: 'bad',
      text:
        `Intercom rejected the access token (${httpStatusIn(error) ?? '401'}): it was revoked, or the app was ` +
        'removed from the workspace. Nothing is written to Intercom until you reconnect it. What was synced stays; ' +
        'reconnecting resumes the sync and catches up on what changed meanwhile.',
      fix: 'reconnect_intercom',
    };
  }
  if (/stripe/i.test(error) && /(key|access|renew|revoked|401|403|uninstall)/i.test(error)) {
    return {
      key: 'stripe_rejected',
      tone: 'bad',
      text:
        `Stripe refused our access (${error}). Nothing new is read from Stripe until you reconnect it. What was ` +
        'synced stays; reconnecting resumes the sync.',
      fix: 'reconnect_stripe',
    };
  }
  return {
    key: 'stopped',
    tone: 'bad',
    text: `The sync stopped: ${error}. Fix the cause, then reconnect or press Resync to start it again.`,
    fix: null,
  };
}

/** Every waitingOn state, warning and failure of the install as a sentence, worst first. */
export function noticesOf(report: InstallStatusReport, nowMs: number): Notice[] {
  const notices: Notice[] = [];
  if (report.state === 'disabled') {
    notices.push({
      key: 'disconnected',
      tone: 'info',
      text: `${sentence(report.lastError ?? 'this install was disconnected')}. Nothing is written to Intercom any more; connect again to start a new install.`,
      fix: 'connect_again',
    });
    return notices;
  }
  if (report.state === 'failed') notices.push(stoppedNotice(report.lastError));
  for (const waiting of report.sync.waitingOn ?? []) notices.push(waitingNotice(waiting, nowMs));
  // email_taken is the one kind of warning there is (db/warnings).
  if (report.warnings.count > 0) {
    const count = report.warnings.count;
    notices.push({
      key: 'email_taken',
      tone: 'warn',
      text:
        `${plural(count, "customer's Stripe email was", "customers' Stripe emails were")} changed to one another ` +
        'Intercom user already has, so the email on their own Intercom user was left as it was (everything else is ' +
        'kept current). To fix it, merge the two users in Intercom or correct the email in Stripe.',
      fix: 'see_warnings',
    });
  }
  if (report.sync.failed > 0) {
    notices.push({
      key: 'failures',
      tone: 'warn',
      text:
        `${plural(report.sync.failed, 'customer', 'customers')} could not be written to Intercom. Retrying cannot ` +
        'fix these; the failures list groups them by reason, with what fixes each.',
      fix: 'see_failures',
    });
  }
  return notices;
}

/** The state badge: never green while something fails or waits. */
export function healthOf(
  report: InstallStatusReport,
  notices: Notice[],
  importRunning: boolean,
  resync: boolean,
): Health {
  if (report.state === 'disabled') return { label: 'Disconnected', tone: 'off' };
  if (report.state === 'failed') return { label: 'Needs attention', tone: 'bad' };
  if (notices.some((notice) => notice.key === 'no_worker')) return { label: 'Stalled', tone: 'bad' };
  if (notices.some((notice) => notice.key.startsWith('retrying') || notice.key.startsWith('stalled'))) {
    return { label: 'Retrying', tone: 'warn' };
  }
  if (importRunning) return { label: resync ? 'Resyncing' : 'Importing', tone: 'busy' };
  if (notices.length > 0) return { label: 'Live, with failures', tone: 'warn' };
  return { label: 'Healthy', tone: 'good' };
}
