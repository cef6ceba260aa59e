import type { PreviewProgress } from '../../shared/preview';
import type { FailureGroup } from '../../status/failure-groups';
import type { FullStatus } from '../../status/report';
import { httpStatusIn } from '../../status/trouble';
import { count, html, type Html } from './html';
import { layout, type Layout } from './layout';
import { credentialField, intercomTokenField, stripeKeyField, type FieldError } from './connect';
import type { StatusView } from './status-view';

/** A reconnect or alert form that was refused: shown inline on the status page, the value kept. */
export interface StatusFormError extends FieldError {
  form: 'intercom' | 'stripe' | 'alerts';
}

interface InstallPageOptions {
  installId: string;
  view: StatusView;
  status: FullStatus;
  csrfToken: string;
  signedIn: Layout['signedIn'];
  stripeAccountId: string;
  workspaceName: string;
  allowTestMode: boolean;
  alerts: { configured: boolean; lastResult: string | null };
  /** Intercom OAuth is configured; `fresh`: this browser signed in with a token other than the install's. */
  intercomSignIn: { enabled: boolean; fresh: boolean };
  formError?: StatusFormError;
  /** A message after a form that worked (reconnected, alert sent). */
  done?: string;
}

const stat = (label: string, key: keyof StatusView['counts'], view: StatusView, hint?: string): Html =>
  html`<div class="stat">
    <dt>${label}</dt>
    <dd data-bind="counts.${key}">${view.counts[key]}</dd>
    ${hint && html`<dd class="hint">${hint}</dd>`}
  </div>`;

const FORM_ANCHORS: Record<StatusFormError['form'], string> = {
  intercom: 'reconnect-intercom',
  stripe: 'reconnect-stripe',
  alerts: 'alerts',
};

const csrfInput = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}" />`;

function noticeList(view: StatusView): Html {
  return html`<ul class="notices" id="notices" data-list="notices">
    ${view.notices.map(
      (notice) =>
        html`<li class="notice tone-${notice.tone}">
          <span>${notice.text}</span>
          ${notice.link && html` <a href="${notice.link.href}">${notice.link.label}</a>`}
        </li>`,
    )}
  </ul>`;
}

function phaseList(view: StatusView): Html {
  return html`<ol class="phases" id="phases" data-list="phases" aria-label="Phases">
    ${view.phases.map(
      (phase) =>
        html`<li class="phase-${phase.state}" ${phase.state === 'current' ? html`aria-current="step"` : ''}>
          ${phase.label} <span class="phase-state">(${phase.stateText})</span>
        </li>`,
    )}
  </ol>`;
}

/** Why Resync cannot run now, or null when it can. */
function resyncBlocked(options: InstallPageOptions): string | null {
  const { view, status } = options;
  return status.state === 'failed'
    ? 'Resync needs working connections: reconnect Intercom or Stripe below first (whichever the message above names).'
    : view.importRunning
      ? 'A run is in progress; Resync is possible once it has finished.'
      : null;
}

function resyncAction(options: InstallPageOptions): Html {
  const { installId, csrfToken } = options;
  const blocked = resyncBlocked(options);
  return html`<form method="post" action="/app/installs/${installId}/resync">
    ${csrfInput(csrfToken)}
    <button
      class="button secondary"
      id="resync"
      type="submit"
      ${blocked ? html`disabled aria-describedby="resync-why"` : ''}
    >
      Resync
    </button>
  </form>`;
}

/**
 * Reconnecting through Intercom OAuth: sign in again (authorizing the app anew), then hand that sign-in's token to the
 * install. The button shows once this browser's sign-in holds a token other than the install's.
 */
function intercomSignInReconnect(options: InstallPageOptions): Html {
  const { intercomSignIn, installId } = options;
  if (!intercomSignIn.enabled) return html``;
  return intercomSignIn.fresh
    ? html`<p class="hint">You signed in to Intercom again: use that sign-in for this install.</p>
        <button
          class="button"
          type="submit"
          id="reconnect-intercom-signin"
          formaction="/app/installs/${installId}/reconnect/intercom-signin"
          formnovalidate
        >
          Use my new Intercom sign-in
        </button>
        <p class="or"><span>or paste a token</span></p>`
    : html`<p>
          <a class="button secondary" id="intercom-sign-in-again" href="/oauth/intercom/start"
            >Sign in with Intercom again</a
          >
        </p>
        <p class="hint">Authorize the app again; you come back here to use the new sign-in.</p>
        <p class="or"><span>or paste a token</span></p>`;
}

function reconnectForms(options: InstallPageOptions): Html {
  const { installId, csrfToken, formError, allowTestMode } = options;
  const errorOf = (form: StatusFormError['form']) => (formError?.form === form ? formError : undefined);
  // Folded away while nothing needs reconnecting; open when the install stopped or a reconnect was refused.
  const open = options.status.state === 'failed' || formError?.form === 'intercom' || formError?.form === 'stripe';
  return html`<h2 id="connections">Connections</h2>
    <details class="connections" ${open ? html`open` : ''}>
      <summary>Reconnect Intercom or Stripe</summary>
      <p class="hint">
        Reconnecting keeps this install, its links to Intercom users and its history; the sync resumes and catches up.
      </p>
      <div class="reconnect">
        <form
          method="post"
          action="/app/installs/${installId}/reconnect/intercom"
          class="stack"
          id="reconnect-intercom"
        >
          <h3>Reconnect Intercom</h3>
          ${intercomSignInReconnect(options)} ${csrfInput(csrfToken)}
          ${intercomTokenField('reconnect-intercom-token', errorOf('intercom'))}
          <button class="button secondary" type="submit">Reconnect Intercom</button>
        </form>
        <form method="post" action="/app/installs/${installId}/reconnect/stripe" class="stack" id="reconnect-stripe">
          <h3>Reconnect Stripe</h3>
          ${csrfInput(csrfToken)} ${stripeKeyField('reconnect-stripe-key', allowTestMode, errorOf('stripe'))}
          <button class="button secondary" type="submit">Reconnect Stripe</button>
        </form>
      </div>
    </details>`;
}

function alertsForm(options: InstallPageOptions): Html {
  const { installId, csrfToken, alerts, formError } = options;
  return html`<h2 id="alerts">Alerts</h2>
    <p class="hint" id="alerts-hint">
      When this install needs you (stopped, retrying for long, failures piling up) a message is posted to this webhook
      (Slack-compatible JSON: <code>{"text": …}</code>), and an all-clear once it has recovered.
    </p>
    <form method="post" action="/app/installs/${installId}/alerts" class="stack">
      ${csrfInput(csrfToken)}
      ${credentialField({
        id: 'alert-url',
        name: 'url',
        label: alerts.configured ? 'Alert webhook URL (set; paste a new one to replace it)' : 'Alert webhook URL',
        type: 'url',
        placeholder: 'https://hooks.slack.com/services/…',
        hintId: 'alerts-hint',
        error: formError?.form === 'alerts' ? formError : undefined,
        required: true,
      })}
      <button class="button secondary" type="submit">Save alert webhook</button>
    </form>
    ${
      alerts.configured &&
      html`<div class="actions">
        <form method="post" action="/app/installs/${installId}/alerts/test">
          ${csrfInput(csrfToken)}
          <button class="button secondary" id="alert-test" type="submit">Send a test alert</button>
        </form>
        <form method="post" action="/app/installs/${installId}/alerts/remove">
          ${csrfInput(csrfToken)}
          <button class="button secondary" type="submit">Remove the alert webhook</button>
        </form>
      </div>`
    }
    ${alerts.lastResult && html`<p class="hint" id="alert-last">Last alert: ${alerts.lastResult}</p>`}`;
}

function runHistory(view: StatusView): Html {
  return html`<h2>Run history</h2>
    ${
      view.runs.length === 0
        ? html`<p class="hint">No run yet.</p>`
        : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Run history">
            <table id="runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Started</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Phase reached</th>
                  <th scope="col">Customers</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                ${view.runs.map(
                  (run) =>
                    html`<tr>
                      <td>${run.kind}</td>
                      <td>${run.started}</td>
                      <td>${run.ended}</td>
                      <td>${run.reached}</td>
                      <td>${run.figures}</td>
                      <td>${run.outcome}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }`;
}

function warningsList(status: FullStatus): Html {
  if (status.warnings.count === 0) return html``;
  return html`<h2 id="warnings">Emails left as they were (${count(status.warnings.count)})</h2>
    <ul class="plain">
      ${status.warnings.recent.map((warning) => html`<li><code>${warning.customerId}</code>: ${warning.message}</li>`)}
    </ul>`;
}

export function installStatusPage(options: InstallPageOptions): string {
  const { view, installId, csrfToken, status } = options;
  const active = view.state !== 'disabled';
  const body = html`<section
    class="card"
    id="live"
    data-status-url="/app/installs/${installId}/status.json"
    data-state="${view.state}"
    data-running="${String(view.importRunning)}"
  >
    <div class="headline">
      <h1>${options.workspaceName}</h1>
      <span class="badge tone-${view.health.tone}" data-bind="health.label" data-tone>${view.health.label}</span>
    </div>
    <p class="hint">Synced from Stripe account <code>${options.stripeAccountId}</code></p>
    <p class="visually-hidden" role="status" aria-live="polite" id="announce" data-bind="announce">${view.announce}</p>
    ${options.done && html`<p class="notice tone-info" id="done-message">${options.done}</p>`}
    ${
      options.formError &&
      html`<p class="notice tone-bad" role="alert" id="form-error-message">
        Not changed: ${options.formError.message}
        <a href="#${FORM_ANCHORS[options.formError.form]}">Go to the form</a>
      </p>`
    }
    ${noticeList(view)}

    <h2>${status.progress?.kind === 'resync' ? 'Resync' : 'Import'}</h2>
    ${phaseList(view)}
    <progress
      id="import-progress"
      max="100"
      ${view.percent === null ? '' : html`value="${view.percent}"`}
      aria-label="Import progress"
      aria-describedby="progress-text"
    ></progress>
    <div class="progress-meta">
      <span data-bind="progress" id="progress-text">${view.progress}</span>
      <strong data-bind="percentText" id="percent">${view.percentText}</strong>
    </div>
    <p class="hint" data-bind="totalNote">${view.totalNote}</p>
    <p class="breakdown" data-bind="breakdown" id="breakdown">${view.breakdown}</p>
    ${
      view.importRunning &&
      html`<dl class="pairs">
        <div>
          <dt>Time left</dt>
          <dd data-bind="timeLeft">${view.timeLeft}</dd>
        </div>
      </dl>`
    }

    <h2>In Intercom</h2>
    <dl class="stats">
      ${stat('Users created', 'created', view)} ${stat('Existing users matched', 'matched', view)}
      ${stat('No email (skipped)', 'skipped', view)} ${stat('Failed', 'failed', view)}
      ${stat('Timeline events sent', 'events', view, 'Since the sync last restarted.')}
      ${stat('Waiting to be written', 'queue', view, 'Customers and Stripe events read, not yet written.')}
    </dl>

    <h2>Live updates</h2>
    <dl class="pairs">
      <div>
        <dt>Stripe webhooks</dt>
        <dd data-bind="webhooks">${view.webhooks}</dd>
      </div>
      <div>
        <dt>Delay to Intercom</dt>
        <dd data-bind="webhookLag">${view.webhookLag}</dd>
      </div>
    </dl>
    ${warningsList(status)}

    <div class="actions">
      <a class="button secondary" id="failures-link" href="/app/installs/${installId}/failures"
        >Failures (<span data-bind="failures">${count(view.failures)}</span>)</a
      >
      ${
        active &&
        html`${resyncAction(options)}
          <form
            method="post"
            action="/app/installs/${installId}/disconnect"
            data-confirm="Stop syncing this workspace?"
          >
            ${csrfInput(csrfToken)}
            <button class="button danger" id="disconnect" type="submit">Disconnect</button>
          </form>`
      }
      ${!active && html`<a class="button" href="/app">Connect again</a>`}
    </div>
    ${active && resyncBlocked(options) && html`<p class="hint" id="resync-why">${resyncBlocked(options)}</p>`}
    ${active && reconnectForms(options)} ${active && alertsForm(options)} ${runHistory(view)}
  </section>`;
  return layout({ title: 'Status', body, signedIn: options.signedIn });
}

export function failuresPage(options: {
  installId: string;
  groups: FailureGroup[];
  signedIn: Layout['signedIn'];
}): string {
  const { installId, groups } = options;
  const total = groups.reduce((sum, group) => sum + group.count, 0);
  const body = html`<section class="card">
    <p><a href="/app/installs/${installId}">← Back to status</a></p>
    <h1>Customers that could not be written</h1>
    <p class="lead">
      Retrying cannot fix these. Each reason says what does; a fixed customer is written on its next change in Stripe,
      or when you press Resync.
    </p>
    ${
      total === 0
        ? html`<p class="empty" id="no-failures">No failures. Every customer reached Intercom.</p>`
        : html`<p>
              <a class="button secondary" id="failures-csv" href="/app/installs/${installId}/failures.csv"
                >Download as CSV (${count(total)} ${total === 1 ? 'customer' : 'customers'})</a
              >
            </p>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Failures by reason">
              <table id="failure-groups">
                <thead>
                  <tr>
                    <th scope="col">Reason</th>
                    <th scope="col">Customers</th>
                    <th scope="col">What fixes it</th>
                  </tr>
                </thead>
                <tbody>
                  ${groups.map(
                    (group) =>
                      html`<tr>
                        <td><a href="#reason-${group.reason}">${group.title}</a></td>
                        <td>${count(group.count)}</td>
                        <td>${group.fix}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${groups.map(
              (group) =>
                html`<h2 id="reason-${group.reason}">${group.title} (${count(group.count)})</h2>
                  <div class="table-wrap" tabindex="0" role="region" aria-label="${group.title}">
                    <table class="failures" id="failures-${group.reason}">
                      <thead>
                        <tr>
                          <th scope="col">Stripe customer</th>
                          <th scope="col">Detail</th>
                          <th scope="col">Attempts</th>
                          <th scope="col">Last tried</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${group.customers.map(
                          (failure) =>
                            html`<tr>
                              <td><code>${failure.customerId}</code></td>
                              <td>${failure.reason}</td>
                              <td>${failure.attempts}</td>
                              <td>${failure.lastFailedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`,
            )}`
    }
  </section>`;
  return layout({ title: 'Failures', body, signedIn: options.signedIn });
}

/** Attribute values as Intercom will show them: amounts with their currency, dates as dates. */
function sampleValue(name: string, value: string | number | boolean | null, currency: string | null): string {
  if (value === null || value === '') return '— (empty)';
  if (typeof value === 'number' && /_at$|_end$|_since$|period_start$/.test(name)) {
    return `${new Date(value * 1000).toISOString().slice(0, 10)} (date)`;
  }
  if (typeof value === 'number' && /(balance|price|amount|spent|mrr)$/.test(name)) {
    const unit = currency ? currency.toUpperCase() : 'in the customer’s currency';
    return `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${unit}${/mrr$/.test(name) ? ' per month' : ''}`;
  }
  return String(value);
}

/**
 * A failed preview's reason in words: which service did not answer and how, not its raw response body. The Intercom
 * client's errors read "Status code: 503 Body: …"; Stripe's name Stripe.
 */
export function previewFailure(error: string | null): string {
  const status = httpStatusIn(error);
  const service = /status code:/i.test(error ?? '') ? 'Intercom' : /stripe/i.test(error ?? '') ? 'Stripe' : null;
  if (service && status) {
    return status === '429'
      ? `${service} asked us to slow down (429) more often than we retry.`
      : `${service} did not answer (${status}), even after five tries.`;
  }
  return (error ?? 'no reason was given').split('\n')[0] ?? '';
}

export function previewPage(options: {
  preview: PreviewProgress | null;
  /** When the preview shown was computed, and the error of a failed try being retried. */
  computedAt: string | null;
  csrfToken: string;
  signedIn: Layout['signedIn'];
  workspaceName: string;
  stripeAccountId: string;
}): string {
  const { preview } = options;
  const done = preview?.phase === 'done';
  const failed = preview?.phase === 'failed';
  const summary = done
    ? html`<p class="hint" id="preview-computed">Counted ${options.computedAt ?? 'just now'}.</p>
        <dl class="stats" id="preview-counts">
          <div class="stat">
            <dt>Customers in Stripe</dt>
            <dd data-count="customers">${count(preview.customers)}</dd>
          </div>
          <div class="stat">
            <dt>Match an Intercom user</dt>
            <dd data-count="matched">${count(preview.matched)}</dd>
          </div>
          <div class="stat">
            <dt>New users to create</dt>
            <dd data-count="toCreate">${count(preview.toCreate)}</dd>
          </div>
          <div class="stat">
            <dt>No email (skipped)</dt>
            <dd data-count="noEmail">${count(preview.noEmail)}</dd>
          </div>
        </dl>
        <p class="hint">
          Customers sharing an email become one Intercom user, so users matched and created can add up to fewer than the
          customers.
        </p>
        <h2>Five examples, as Intercom will show them</h2>
        ${preview.samples.map((sample) => {
          const currency = Object.entries(sample.attributes).find(([name]) => name.endsWith('currency'))?.[1];
          return html`<details class="sample">
            <summary><strong>${sample.email}</strong> <code>${sample.customerId}</code></summary>
            <dl class="attributes">
              ${Object.entries(sample.attributes).map(
                ([name, value]) =>
                  html`<div>
                    <dt>${name}</dt>
                    <dd>${sampleValue(name, value, typeof currency === 'string' ? currency : null)}</dd>
                  </div>`,
              )}
            </dl>
          </details>`;
        })}`
    : failed
      ? html`<div class="notice tone-bad" role="alert" id="preview-failed">
          <p>The preview could not finish: ${previewFailure(preview.error)}</p>
          <p>
            Nothing was written anywhere. Retry once the service answers again; reloading this page later retries too.
          </p>
          <form method="post" action="/app/preview/retry">
            <input type="hidden" name="_csrf" value="${options.csrfToken}" />
            <button class="button" id="preview-retry" type="submit">Retry the preview</button>
          </form>
        </div>`
      : html`<div id="preview-live" data-preview-url="/app/preview.json">
          <progress aria-label="Preview progress" aria-describedby="preview-progress-text"></progress>
          <p id="preview-progress-text" role="status" aria-live="polite">
            Reading Stripe customers and looking their emails up in Intercom:
            <span data-bind="customers">${count(preview?.customers ?? 0)}</span> customers read so far. Stripe gives no
            total in advance, so the count grows until every page is read.
          </p>
        </div>`;
  const body = html`<section class="card">
    <ol class="steps">
      <li class="done">Sign in to Intercom <span class="visually-hidden">(done)</span></li>
      <li class="done">Connect Stripe <span class="visually-hidden">(done)</span></li>
      <li class="current" aria-current="step">Preview and import</li>
    </ol>
    <h1>Preview</h1>
    <p class="lead">
      <strong>${options.stripeAccountId}</strong> into <strong>${options.workspaceName}</strong>. Nothing has been
      written to Intercom yet.
    </p>
    ${summary}
    <form method="post" action="/app/install" class="actions">
      <input type="hidden" name="_csrf" value="${options.csrfToken}" />
      <button class="button" id="start-import" type="submit" ${done ? '' : html`disabled`}>Start import</button>
    </form>
  </section>`;
  return layout({ title: 'Preview', body, signedIn: options.signedIn });
}
