import type { PreviewProgress } from '../../shared/preview';
import { count, html, type Html } from './html';
import { layout, type Layout } from './layout';
import type { StatusView } from './status-view';

interface InstallPageOptions {
  installId: string;
  view: StatusView;
  csrfToken: string;
  signedIn: Layout['signedIn'];
  temporalLink: string;
  stripeAccountId: string;
  workspaceName: string;
}

const stat = (label: string, key: keyof StatusView['counts'], view: StatusView): Html =>
  html`<div class="stat">
    <dt>${label}</dt>
    <dd data-bind="counts.${key}">${view.counts[key]}</dd>
  </div>`;

export function installStatusPage(options: InstallPageOptions): string {
  const { view, installId, csrfToken } = options;
  const active = view.state !== 'disabled';
  const body = html`<section
    class="card"
    id="live"
    data-status-url="/app/installs/${installId}/status.json"
    data-state="${view.state}"
  >
    <div class="headline">
      <h1>${options.workspaceName}</h1>
      <span class="badge tone-${view.health.tone}" data-bind="health.label" data-tone>${view.health.label}</span>
    </div>
    <p class="hint">Synced from Stripe account <code>${options.stripeAccountId}</code></p>
    <p class="detail" data-bind="health.detail">${view.health.detail}</p>

    <h2>Import</h2>
    <progress id="import-progress" max="100" value="${view.percent}" aria-label="Import progress"></progress>
    <div class="progress-meta">
      <span data-bind="progress" id="progress-text">${view.progress}</span>
      <span><strong data-bind="percent">${view.percent}</strong> %</span>
    </div>
    <dl class="pairs">
      <div>
        <dt>Rate</dt>
        <dd data-bind="rate">${view.rate}</dd>
      </div>
      <div>
        <dt>Time left</dt>
        <dd data-bind="timeLeft">${view.timeLeft}</dd>
      </div>
    </dl>

    <h2>In Intercom</h2>
    <dl class="stats">
      ${stat('Users created', 'created', view)} ${stat('Users matched', 'matched', view)}
      ${stat('No email', 'skipped', view)} ${stat('Failed', 'failed', view)} ${stat('Events sent', 'events', view)}
      ${stat('Waiting', 'queue', view)}
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

    <div class="actions">
      <a class="button secondary" id="failures-link" href="/app/installs/${installId}/failures"
        >Failures (<span data-bind="failures">${count(view.failures)}</span>)</a
      >
      ${
        active &&
        html`<form method="post" action="/app/installs/${installId}/resync">
            <input type="hidden" name="_csrf" value="${csrfToken}" />
            <button class="button secondary" id="resync" type="submit">Resync</button>
          </form>
          <form
            method="post"
            action="/app/installs/${installId}/disconnect"
            data-confirm="Stop syncing this workspace?"
          >
            <input type="hidden" name="_csrf" value="${csrfToken}" />
            <button class="button danger" id="disconnect" type="submit">Disconnect</button>
          </form>`
      }
      ${!active && html`<a class="button" href="/app">Connect again</a>`}
    </div>
    <p class="hint">
      Operators: <a href="${options.temporalLink}" rel="noopener">this install's workflows in the Temporal UI</a>.
    </p>
  </section>`;
  return layout({ title: 'Status', body, signedIn: options.signedIn });
}

export interface FailureRow {
  customerId: string;
  reason: string;
  attempts: number;
  lastFailedAt: Date;
}

export function failuresPage(options: {
  installId: string;
  failures: FailureRow[];
  signedIn: Layout['signedIn'];
}): string {
  const rows = options.failures.map(
    (failure) =>
      html`<tr>
        <td><code>${failure.customerId}</code></td>
        <td>${failure.reason}</td>
        <td>${failure.attempts}</td>
        <td>${failure.lastFailedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
      </tr>`,
  );
  const body = html`<section class="card">
    <p><a href="/app/installs/${options.installId}">← Back to status</a></p>
    <h1>Customers that could not be written</h1>
    <p class="lead">
      Retrying cannot fix these (an invalid email, an attribute Intercom refuses). Fix them in Stripe and they sync on
      their next change, or press Resync.
    </p>
    ${
      options.failures.length === 0
        ? html`<p class="empty" id="no-failures">No failures. Every customer reached Intercom.</p>`
        : html`<div class="table-wrap">
            <table id="failures">
              <thead>
                <tr>
                  <th>Stripe customer</th>
                  <th>Reason</th>
                  <th>Attempts</th>
                  <th>Last tried</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
  return layout({ title: 'Failures', body, signedIn: options.signedIn });
}

export function previewPage(options: {
  preview: PreviewProgress | null;
  csrfToken: string;
  signedIn: Layout['signedIn'];
  workspaceName: string;
  stripeAccountId: string;
}): string {
  const { preview } = options;
  const done = preview?.phase === 'done';
  const summary = done
    ? html`<dl class="stats" id="preview-counts">
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
        ${preview.samples.map(
          (sample) =>
            html`<details class="sample">
              <summary><strong>${sample.email}</strong> <code>${sample.customerId}</code></summary>
              <dl class="attributes">
                ${Object.entries(sample.attributes).map(
                  ([name, value]) =>
                    html`<div>
                      <dt>${name}</dt>
                      <dd>${value === null ? '—' : String(value)}</dd>
                    </div>`,
                )}
              </dl>
            </details>`,
        )}`
    : preview?.phase === 'failed'
      ? html`<p class="notice error" role="alert">The preview failed: ${preview.error ?? 'unknown error'}</p>`
      : html`<div id="preview-live" data-preview-url="/app/preview.json">
          <progress aria-label="Preview progress"></progress>
          <p data-bind="progress">
            Reading Stripe and looking up Intercom users…
            <span data-bind="customers">${count(preview?.customers ?? 0)}</span>
            customers so far.
          </p>
        </div>`;
  const body = html`<section class="card">
    <ol class="steps">
      <li class="done">Sign in to Intercom</li>
      <li class="done">Connect Stripe</li>
      <li class="current">Preview and import</li>
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
