import type { FullStatus } from '../../status/report';
import { html, type Html } from './html';
import type { Layout } from './layout';
import { credentialField, intercomTokenField, stripeKeyField, type FieldError } from './connect';
import type { StatusView } from './status-view';
import type { SupportOptions } from './support-forms';

/** A reconnect or alert form that was refused: shown inline on the status page, the value kept. */
export interface StatusFormError extends FieldError {
  form: 'intercom' | 'stripe' | 'alerts' | 'customer' | 'primary';
}

export interface InstallPageOptions {
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
  /** Support (issue 22): the Fin secret, the workspace's Stripe accounts, the customer look-up. */
  support: SupportOptions;
}

export const csrfInput = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}" />`;

/** Why Resync cannot run now, or null when it can. */
export function resyncBlocked(options: InstallPageOptions): string | null {
  const { view, status } = options;
  return status.state === 'failed'
    ? 'Resync needs working connections: reconnect Intercom or Stripe below first (whichever the message above names).'
    : view.importRunning
      ? 'A run is in progress; Resync is possible once it has finished.'
      : null;
}

export function resyncAction(options: InstallPageOptions): Html {
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

export function reconnectForms(options: InstallPageOptions): Html {
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

export function alertsForm(options: InstallPageOptions): Html {
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
