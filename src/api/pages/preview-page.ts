import type { PreviewProgress } from '../../shared/preview';
import { httpStatusIn } from '../../status/trouble';
import { count, html } from './html';
import { layout, type Layout } from './layout';

/** Attribute values as Intercom will show them: amounts with their currency, dates as dates. */
export function sampleValue(name: string, value: string | number | boolean | null, currency: string | null): string {
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
