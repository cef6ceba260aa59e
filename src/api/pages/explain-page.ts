import type Stripe from 'stripe';
import type { CustomerExplained } from '../../customer-view/explain';
import type { DriftProblem } from '../../reconcile/reconcile';
import { count, html, tableHead, type Html } from './html';
import { layout, type Layout } from './layout';
import { sampleValue } from './preview-page';
import { httpStatusIn } from '../../status/trouble';

export interface ExplainPageOptions {
  installId: string;
  explained: CustomerExplained;
  csrfToken: string;
  signedIn: Layout['signedIn'];
  /** Set after "Resync this customer": when it was queued. */
  resyncQueuedAt?: Date;
}

const utc = (at: Date | string | null): string =>
  at === null ? '—' : `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** A vendor's failure in a line with what to do: its HTTP status when it gave one (its own words stay off the page). */
const unreadable = (vendor: string, error: string | undefined): string => {
  const status = httpStatusIn(error ?? null);
  return (
    `${vendor} could not be read just now${status ? ` (HTTP ${status})` : ''}. Nothing is lost: the rest of the ` +
    `page shows what the service holds. Reload the page in a minute to read ${vendor} again.`
  );
};

const shown = (value: unknown): string =>
  value === undefined ? '(not set)' : value === null || value === '' ? '— (empty)' : String(value);

/** One line per difference, keyed `kind:name` (the page's test compares these keys with /drift's problems). */
export function differenceLines(problem: DriftProblem): { key: string; text: string }[] {
  switch (problem.kind) {
    case 'missing_contact':
      return [{ key: 'missing_contact', text: 'No Intercom contact holds this customer.' }];
    case 'duplicate_contacts':
      return [{ key: 'duplicate_contacts', text: `Several contacts hold it: ${problem.contactIds.join(', ')}.` }];
    case 'attributes_differ':
    case 'identity_differs': {
      const entries = problem.kind === 'attributes_differ' ? problem.attributes : problem.fields;
      return entries.map((entry) => ({
        key: `${problem.kind}:${entry.name}`,
        text: `${entry.name}: computed ${shown(entry.expected)}, Intercom has ${shown(entry.actual)}`,
      }));
    }
    case 'events_missing':
      return problem.eventIds.map((id) => ({
        key: `events_missing:${id}`,
        text: `Data event of ${id} not in Intercom.`,
      }));
    case 'unexpected_events':
      return problem.events.map((event) => ({
        key: `unexpected_events:${event.name}`,
        text: `Intercom has an event ${event.name} (${utc(new Date(event.createdAt * 1000))}) no Stripe event explains.`,
      }));
  }
}

function differencesSection(explained: CustomerExplained, installId: string): Html {
  const differences = explained.differences;
  if (!differences.report) {
    return html`<p class="hint" id="differences-none">
      No drift report has finished for this install yet, so no differences are known. An operator starts one with
      <code>POST /installs/${installId}/drift</code> (or <code>npm run reconcile</code>); then reload this page.
    </p>`;
  }
  const lines = (differences.problems ?? []).flatMap(differenceLines);
  const when = html`the drift report of ${utc(differences.report.finishedAt)}`;
  return lines.length === 0
    ? html`<p id="differences-none">None: Intercom matched Stripe when ${when} checked this customer.</p>`
    : html`<p class="hint">Found by ${when}. "Resync this customer" writes the computed values again.</p>
        <ul class="plain" id="differences">
          ${lines.map((line) => html`<li class="tone-warn" data-difference="${line.key}">${line.text}</li>`)}
        </ul>`;
}

function stripeSection(explained: CustomerExplained): Html {
  const stripeNow = explained.stripeNow;
  if (!('customer' in stripeNow) || !stripeNow.customer) {
    return html`<p class="notice tone-bad">${unreadable('Stripe', stripeNow.error)}</p>`;
  }
  const customer = stripeNow.customer;
  if (customer.deleted) return html`<p class="notice tone-warn">Deleted in Stripe.</p>`;
  const live = customer as Stripe.Customer;
  const pairs: [string, string][] = [
    ['Email', shown(live.email)],
    ['Name', shown(live.name)],
    ['Balance (minor units)', `${live.balance} ${(live.currency ?? '').toUpperCase()}`],
    ['Delinquent', live.delinquent ? 'yes' : 'no'],
    ['Created', utc(new Date(live.created * 1000))],
  ];
  return html`<dl class="pairs" id="stripe-now">
    ${pairs.map(
      ([name, value]) =>
        html`<div>
          <dt>${name}</dt>
          <dd>${value}</dd>
        </div>`,
    )}
  </dl>`;
}

function attributesTable(explained: CustomerExplained): Html {
  const intercom = 'customAttributes' in explained.intercomNow ? explained.intercomNow.customAttributes : undefined;
  const intercomError = 'error' in explained.intercomNow ? explained.intercomNow.error : undefined;
  const rows = Object.entries(explained.computedAttributes);
  const currency = explained.mirror.facts.currency;
  // Dates as dates and amounts with their currency, as the preview shows them; Intercom's value when it is the same.
  const readable = (name: string, value: unknown): string =>
    value === undefined
      ? '(not set)'
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : sampleValue(name, value as string | number | boolean | null, currency);
  return html`${
      intercomError
        ? html`<p class="notice tone-bad">${unreadable('Intercom', intercomError)}</p>`
        : explained.intercomNow.contact === null
          ? html`<p class="hint">No Intercom contact is linked to this customer yet.</p>`
          : ''
    }
    <div class="table-wrap" tabindex="0" role="region" aria-label="Attributes, computed and in Intercom">
      <table id="attributes">
        ${tableHead(['Attribute', 'Computed from Stripe', 'In Intercom now'])}
        <tbody>
          ${rows.map(
            ([name, value]) =>
              html`<tr>
                <th scope="row"><code>${name}</code></th>
                <td>${readable(name, value)}</td>
                <td>${intercom ? readable(name, intercom[name]) : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

function eventsSection(explained: CustomerExplained): Html {
  const sent = explained.events.filter((event) => event.intercomEventAt !== null).length;
  if (explained.events.length === 0) return html`<p class="hint">No Stripe event recorded for this customer.</p>`;
  return html`<p id="event-counts">
      ${count(explained.pendingEvents)} pending (received, not yet written) · ${count(sent)} sent to Intercom as data
      events, of the newest ${count(explained.events.length)}.
    </p>
    <div class="table-wrap" tabindex="0" role="region" aria-label="Recorded Stripe events">
      <table id="events">
        ${tableHead(['Stripe event', 'Created', 'State', 'Data event sent'])}
        <tbody>
          ${explained.events.map(
            (event) =>
              html`<tr>
                <td><code>${event.type}</code> <span class="hint">${event.eventId}</span></td>
                <td>${utc(event.created)}</td>
                <td>${event.status === 'received' ? html`<strong>pending</strong>` : event.status}</td>
                <td>${event.intercomEventAt ? utc(event.intercomEventAt) : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

/** One customer explained, for support leads and operators (issue 22): the explain API's model as a page. */
export function explainPage(options: ExplainPageOptions): string {
  const { installId, explained } = options;
  const facts = explained.mirror.facts;
  const title = facts.name ?? facts.email ?? explained.customerId;
  const lastWrite = explained.lastWrite;
  const body = html`<section class="card" id="explain">
    <p><a href="/app/installs/${installId}">← Back to status</a></p>
    <h1>${title}</h1>
    <p class="hint">
      Stripe customer <code>${explained.customerId}</code> in <code>${facts.stripeAccountId}</code>${
        facts.email && facts.name ? html` · ${facts.email}` : ''
      }
    </p>
    ${
      explained.sameEmail.length > 0 &&
      html`<p class="hint">
        Same email:
        ${explained.sameEmail.map(
          (id) =>
            html`<a href="/app/installs/${installId}/customers/${encodeURIComponent(id)}"><code>${id}</code></a> `,
        )}
      </p>`
    }
    ${
      options.resyncQueuedAt &&
      html`<p class="notice tone-info" role="status" id="resync-queued">
        Resync queued ${utc(options.resyncQueuedAt)}: the customer is read from Stripe again and its contact written
        again, usually within seconds. Reload to see it.
      </p>`
    }
    <form
      class="actions"
      method="post"
      action="/app/installs/${installId}/customers/${encodeURIComponent(explained.customerId)}/resync"
    >
      <input type="hidden" name="_csrf" value="${options.csrfToken}" />
      <button class="button secondary" id="resync-customer" type="submit">Resync this customer</button>
    </form>

    <h2>Differences</h2>
    ${differencesSection(explained, installId)}

    <h2>Last write to Intercom</h2>
    <dl class="pairs" id="last-write">
      <div>
        <dt>When</dt>
        <dd>${lastWrite ? utc(lastWrite.at) : 'Never written'}</dd>
      </div>
      <div>
        <dt>Contact</dt>
        <dd>
          ${explained.intercomNow.contact?.id ?? '—'}${lastWrite?.createdByUs ? ' (created by this service)' : ''}
        </dd>
      </div>
      <div>
        <dt>Written by (operators)</dt>
        <dd>
          the sync workflow
          ${lastWrite && html` · <a href="${lastWrite.workflow}" rel="noopener" target="_blank">open in Temporal UI</a>`}
        </dd>
      </div>
    </dl>
    ${
      explained.failure &&
      html`<p class="notice tone-bad" id="customer-failure">
        Not written: ${explained.failure.reason} (${count(explained.failure.attempts)} attempts, last
        ${utc(explained.failure.lastFailedAt)}).
      </p>`
    }

    <h2>Stripe now</h2>
    <p class="hint">Read from Stripe for this page; the mirror last read it ${utc(explained.mirror.observedAt)}.</p>
    ${stripeSection(explained)}

    <h2>Attributes</h2>
    ${attributesTable(explained)}

    <h2>Stripe events</h2>
    ${eventsSection(explained)}
  </section>`;
  return layout({ title: `Customer ${explained.customerId}`, body, signedIn: options.signedIn });
}
