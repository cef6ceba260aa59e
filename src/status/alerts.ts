import { isIP } from 'node:net';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SecretBox } from '../crypto/secret-box';
import { findInstall } from '../db/installs';
import { activeAlertTargets, recordAlertSent, type AlertTarget } from '../db/alerts';
import type { FullStatus, StatusReporter } from './report';

/** Posting an alert gives up after this long: a slow receiver must not hold the check. */
const SEND_TIMEOUT_MS = 5_000;

/** Something that needs the admin, keyed so the same trouble is reported once. */
export interface Attention {
  key: string;
  text: string;
}

export class AlertUrlRejected extends Error {
  override name = 'AlertUrlRejected';
}

/** Loopback, private, link-local and unspecified addresses: not a webhook on the internet. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal')) return true;
  if (isIP(host) === 4) return /^(127\.|10\.|192\.168\.|169\.254\.|0\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host);
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^(fc|fd|fe80)/.test(host);
  return false;
}

/**
 * An alert webhook must be https on a public host; ALERT_WEBHOOK_ALLOW_PRIVATE allows http and private hosts (a local
 * receiver in tests, a relay inside one's own network).
 */
export function checkAlertUrl(raw: string, config: Pick<Config, 'ALERT_WEBHOOK_ALLOW_PRIVATE'>): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AlertUrlRejected('That is not a web address: paste the whole webhook URL, starting with https://.');
  }
  if (url.username || url.password) throw new AlertUrlRejected('Put no user name or password in the URL.');
  if (config.ALERT_WEBHOOK_ALLOW_PRIVATE) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AlertUrlRejected('Use an https:// URL.');
  } else {
    if (url.protocol !== 'https:') throw new AlertUrlRejected('Use an https:// URL (Slack webhooks are https).');
    if (isPrivateHost(url.hostname)) {
      throw new AlertUrlRejected('That address is not on the internet; alerts go to a public https webhook.');
    }
  }
  return url.toString();
}

/** What needs the admin now, if anything: the install stopped, has retried for long, or failures pile up. */
export function attentionOf(status: FullStatus, config: Pick<Config, 'ALERT_FAILURES_THRESHOLD'>): Attention | null {
  if (status.state === 'disabled') return null;
  const worst = status.notices.find((notice) => notice.tone === 'bad');
  if (status.state === 'failed' && worst) return { key: `failed:${worst.key}`, text: worst.text };
  const waiting = status.notices.find(
    (notice) => notice.key === 'no_worker' || notice.key.startsWith('retrying') || notice.key.startsWith('stalled'),
  );
  if (waiting) return { key: 'waiting', text: waiting.text };
  if (status.sync.failed >= config.ALERT_FAILURES_THRESHOLD) {
    return {
      key: 'failures',
      text: `${status.sync.failed.toLocaleString('en-US')} customers could not be written to Intercom (the alert threshold is ${config.ALERT_FAILURES_THRESHOLD}).`,
    };
  }
  return null;
}

/** Slack's incoming-webhook body (`text` is what every Slack-compatible receiver reads). */
export function alertPayload(
  kind: 'attention' | 'all_clear' | 'test',
  install: { workspace: string; statusUrl: string },
  text: string,
) {
  const title =
    kind === 'attention'
      ? `:warning: Stripe → Intercom sync for ${install.workspace} needs attention`
      : kind === 'all_clear'
        ? `:white_check_mark: Stripe → Intercom sync for ${install.workspace} has recovered`
        : `Test alert from the Stripe → Intercom sync for ${install.workspace}`;
  return { text: `${title}\n${text}\n<${install.statusUrl}|Open the status page>`, kind };
}

/** Posts one alert; returns what happened in words (never the URL: it is a secret). */
export async function postAlert(url: string, body: unknown): Promise<{ ok: boolean; result: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      // A redirect could lead anywhere; a webhook answers where it is.
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok
      ? { ok: true, result: `delivered (HTTP ${response.status})` }
      : { ok: false, result: `the webhook answered HTTP ${response.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return {
      ok: false,
      result: timedOut ? 'the webhook did not answer within 5 s' : 'the webhook could not be reached',
    };
  }
}

/** Sends alerts when an install starts needing attention, and an all-clear when it recovers. */
export class AlertChecker {
  /** When each install's current trouble was first seen (a wait must last ALERT_AFTER_MINUTES before an alert). */
  private readonly since = new Map<string, { key: string; atMs: number }>();

  constructor(
    private readonly deps: {
      pool: Pool;
      config: Config;
      secrets: SecretBox;
      reporter: StatusReporter;
      logger: Logger;
    },
  ) {}

  /** Never throws: a check that fails (database or Temporal down) is logged and tried again next time. */
  async checkAll(nowMs = Date.now()): Promise<void> {
    try {
      for (const target of await activeAlertTargets(this.deps.pool)) {
        await this.check(target, nowMs).catch((err: unknown) =>
          this.deps.logger.warn({ installId: target.installId, err: (err as Error).message }, 'alert check failed'),
        );
      }
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'alert checks failed');
    }
  }

  private async check(target: AlertTarget, nowMs: number): Promise<void> {
    const { pool, config, secrets, reporter } = this.deps;
    const install = await findInstall(pool, target.installId);
    if (!install) return;
    const attention = attentionOf(await reporter.status(install, nowMs), config);
    const first = this.since.get(install.id);
    if (attention && first?.key !== attention.key) this.since.set(install.id, { key: attention.key, atMs: nowMs });
    if (!attention) this.since.delete(install.id);
    const lastingMs = attention ? nowMs - (this.since.get(install.id)?.atMs ?? nowMs) : 0;
    const due = attention && (attention.key !== 'waiting' || lastingMs >= config.ALERT_AFTER_MINUTES * 60_000);
    const where = {
      workspace: install.intercomWorkspaceId,
      statusUrl: `${config.PUBLIC_URL}/app/installs/${install.id}`,
    };
    let body;
    if (due && attention.key !== target.lastState) body = alertPayload('attention', where, attention.text);
    else if (!attention && target.lastState !== 'ok') {
      body = alertPayload('all_clear', where, 'Everything is being synced again.');
    } else return;
    const sent = await postAlert(secrets.open(target.urlSealed), body);
    await recordAlertSent(pool, install.id, { state: sent.ok ? (attention?.key ?? 'ok') : null, result: sent.result });
    this.deps.logger.info({ installId: install.id, kind: body.kind, result: sent.result }, 'alert sent');
  }
}
