import type { FullStatus } from '../../status/report';
import { count, html, type Html } from './html';
import { layout } from './layout';
import {
  alertsForm,
  csrfInput,
  reconnectForms,
  resyncAction,
  resyncBlocked,
  type InstallPageOptions,
  type StatusFormError,
} from './status-forms';
import { customerLookupForm, finSecretSection, primaryAccountSection } from './support-forms';
import type { StatusView } from './status-view';

export type { InstallPageOptions, StatusFormError } from './status-forms';

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
  customer: 'customer-lookup',
  primary: 'primary-account',
};

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
    ${customerLookupForm(options)} ${active && primaryAccountSection(options)} ${active && finSecretSection(options)}
    ${active && reconnectForms(options)} ${active && alertsForm(options)} ${runHistory(view)}
  </section>`;
  return layout({ title: 'Status', body, signedIn: options.signedIn });
}
