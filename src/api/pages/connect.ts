import { html, type Html } from './html';
import { layout, type Layout } from './layout';

/** A refused form field: the message, and what was typed (kept, so a typo can be corrected rather than retyped). */
export interface FieldError {
  field: string;
  message: string;
  value: string;
}

export interface ConnectOptions {
  csrfToken: string;
  intercomOAuth: boolean;
  stripeOAuth: boolean;
  allowTestMode: boolean;
  signedIn?: Layout['signedIn'];
  /** Signed in to Intercom already: only Stripe is left to connect. */
  workspaceName?: string;
  previousInstall?: { id: string; state: string };
  error?: FieldError;
  /** What was typed in the other fields of a refused form. */
  values?: Record<string, string>;
}

/** The install's three steps; the current one is marked by aria-current and words as well as colour. */
export const steps = (current: 1 | 2 | 3): Html =>
  html`<ol class="steps">
    ${['Sign in to Intercom', 'Connect Stripe', 'Preview and import'].map((label, index) =>
      index + 1 === current
        ? html`<li class="current" aria-current="step">
            ${label} <span class="visually-hidden">(current step)</span>
          </li>`
        : index + 1 < current
          ? html`<li class="done">${label} <span class="visually-hidden">(done)</span></li>`
          : html`<li>${label}</li>`,
    )}
  </ol>`;

/**
 * What a restricted key needs (https://docs.stripe.com/keys/restricted-api-keys): read access to what the import
 * and the sync read, write access to webhook endpoints (the install registers its own), in the words and order of
 * Stripe's "Create restricted key" form.
 */
export const STRIPE_KEY_PERMISSIONS = [
  'Customers: Read',
  'Subscriptions: Read',
  'Invoices: Read',
  'Charges: Read',
  'PaymentMethods: Read',
  'Prices and Plans: Read',
  'Products: Read',
  'Coupons: Read',
  'Events: Read',
  'Webhook Endpoints: Write',
];

const STRIPE_API_KEYS_PAGE = 'https://dashboard.stripe.com/apikeys';

/** A labelled input with its hint and, when refused, its error, both tied to it by aria-describedby. */
export function credentialField(options: {
  id: string;
  name: string;
  label: string;
  type: 'password' | 'url' | 'text';
  placeholder?: string;
  hintId?: string;
  error?: FieldError | undefined;
  required?: boolean;
}): Html {
  const { id, error } = options;
  const describedBy = [error ? `${id}-error` : null, options.hintId ?? null].filter(Boolean).join(' ');
  return html`<label for="${id}">${options.label}</label>
    ${error && html`<p class="field-error" id="${id}-error">${error.message}</p>`}
    <input
      id="${id}"
      name="${options.name}"
      type="${options.type}"
      autocomplete="off"
      spellcheck="false"
      ${options.required ? html`required` : ''}
      ${options.placeholder ? html`placeholder="${options.placeholder}"` : ''}
      ${describedBy ? html`aria-describedby="${describedBy}"` : ''}
      ${error ? html`aria-invalid="true" value="${error.value}"` : ''}
    />`;
}

/** The Stripe key field with the exact permissions a restricted key needs and a link to Stripe's API keys page. */
export function stripeKeyField(id: string, allowTestMode: boolean, error?: FieldError): Html {
  return html`${credentialField({
      id,
      name: 'stripeKey',
      label: 'Stripe restricted key',
      type: 'password',
      placeholder: allowTestMode ? 'rk_live_… or rk_test_…' : 'rk_live_…',
      hintId: `${id}-hint`,
      error,
      required: true,
    })}
    <div class="hint" id="${id}-hint">
      <p>
        ${allowTestMode ? 'A restricted key (rk_live_…, or rk_test_… to try it safely)' : 'A restricted live key (rk_live_…)'}
        with these permissions; create one on
        <a href="${STRIPE_API_KEYS_PAGE}" rel="noopener" target="_blank">Stripe's API keys page</a>:
      </p>
      <ul class="permissions">
        ${STRIPE_KEY_PERMISSIONS.map((permission) => html`<li>${permission}</li>`)}
      </ul>
    </div>`;
}

export function intercomTokenField(id: string, error?: FieldError): Html {
  return html`${credentialField({
      id,
      name: 'intercomToken',
      label: 'Intercom access token',
      type: 'password',
      hintId: `${id}-hint`,
      error,
      required: true,
    })}
    <p class="hint" id="${id}-hint">
      From your Intercom app in the Developer Hub: Configure › Authentication › Access token.
    </p>`;
}

const errorFor = (options: ConnectOptions, field: string): FieldError | undefined =>
  options.error?.field === field ? options.error : undefined;

/** Step 1: who are you (Intercom sign-in, or both credentials pasted when no OAuth is configured). */
export function signInPage(options: ConnectOptions): string {
  const region = options.values?.intercomRegion ?? 'us';
  const body = options.intercomOAuth
    ? html`<section class="card">
        ${steps(1)}
        <h1>Sync Stripe customers into Intercom</h1>
        <p class="lead">
          Sign in with the Intercom workspace you want to fill. Every Stripe customer then appears on their Intercom
          user, with plan, MRR and payments kept current.
        </p>
        <p><a class="button" id="sign-in-intercom" href="/oauth/intercom/start">Sign in with Intercom</a></p>
      </section>`
    : html`<section class="card">
        ${steps(1)}
        <h1>Connect Stripe and Intercom</h1>
        <p class="lead">Paste an Intercom access token and a Stripe restricted key. Both are stored encrypted.</p>
        ${options.error && html`<p class="notice tone-bad" role="alert">Not connected yet: ${options.error.message}</p>`}
        <form method="post" action="/app/connect/keys" class="stack">
          <input type="hidden" name="_csrf" value="${options.csrfToken}" />
          ${intercomTokenField('intercom-token', errorFor(options, 'intercomToken'))}
          <label for="intercom-region">Intercom region</label>
          <select id="intercom-region" name="intercomRegion">
            ${[
              ['us', 'United States'],
              ['eu', 'Europe'],
              ['au', 'Australia'],
            ].map(
              ([value, label]) =>
                html`<option value="${value}" ${value === region ? html`selected` : ''}>${label}</option>`,
            )}
          </select>
          ${stripeKeyField('stripe-key', options.allowTestMode, errorFor(options, 'stripeKey'))}
          <button class="button" type="submit">Continue to preview</button>
        </form>
      </section>`;
  return layout({ title: 'Install', body });
}

/** Step 2: connect Stripe (Stripe Apps OAuth first, pasted key second). */
export function connectStripePage(options: ConnectOptions): string {
  const previous =
    options.previousInstall &&
    html`<p class="notice">
      The previous install for this workspace is ${options.previousInstall.state}.
      <a href="/app/installs/${options.previousInstall.id}">See its status</a>.
    </p>`;
  const body = html`<section class="card">
    ${steps(2)}
    <h1>Connect your Stripe account</h1>
    <p class="lead">
      Signed in to <strong>${options.workspaceName ?? ''}</strong>. Now choose the Stripe account to import.
    </p>
    ${previous}
    ${
      options.stripeOAuth &&
      html`<p><a class="button" id="connect-stripe" href="/oauth/stripe/start">Sign in to Stripe</a></p>
        <p class="or"><span>or paste a key</span></p>`
    }
    <form method="post" action="/app/connect/stripe-key" class="stack">
      <input type="hidden" name="_csrf" value="${options.csrfToken}" />
      ${stripeKeyField('stripe-key', options.allowTestMode, errorFor(options, 'stripeKey'))}
      <button class="button ${options.stripeOAuth ? 'secondary' : ''}" type="submit">Use this key</button>
    </form>
  </section>`;
  return layout({ title: 'Connect Stripe', body, signedIn: options.signedIn });
}
