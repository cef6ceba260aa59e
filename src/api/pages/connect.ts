import { html, type Html } from './html';
import { layout, type Layout } from './layout';

export interface ConnectOptions {
  csrfToken: string;
  intercomOAuth: boolean;
  stripeOAuth: boolean;
  allowTestMode: boolean;
  signedIn?: Layout['signedIn'];
  /** Signed in to Intercom already: only Stripe is left to connect. */
  workspaceName?: string;
  previousInstall?: { id: string; state: string };
}

const steps = (current: 1 | 2 | 3): Html =>
  html`<ol class="steps">
    ${['Sign in to Intercom', 'Connect Stripe', 'Preview and import'].map(
      (label, index) =>
        html`<li class="${index + 1 === current ? 'current' : index + 1 < current ? 'done' : ''}">${label}</li>`,
    )}
  </ol>`;

const keyHint = (allowTestMode: boolean): string =>
  allowTestMode
    ? 'A restricted key (rk_live_… or rk_test_…) with read access to billing data and write access to webhook endpoints.'
    : 'A restricted live key (rk_live_…) with read access to billing data and write access to webhook endpoints.';

function stripeKeyField(allowTestMode: boolean): Html {
  return html`<label for="stripe-key">Stripe restricted key</label>
    <input id="stripe-key" name="stripeKey" type="password" autocomplete="off" required placeholder="rk_live_…" />
    <p class="hint">${keyHint(allowTestMode)}</p>`;
}

/** Step 1: who are you (Intercom sign-in, or both credentials pasted when no OAuth is configured). */
export function signInPage(options: ConnectOptions): string {
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
        <form method="post" action="/app/connect/keys" class="stack">
          <input type="hidden" name="_csrf" value="${options.csrfToken}" />
          <label for="intercom-token">Intercom access token</label>
          <input id="intercom-token" name="intercomToken" type="password" autocomplete="off" required />
          <label for="intercom-region">Intercom region</label>
          <select id="intercom-region" name="intercomRegion">
            <option value="us">United States</option>
            <option value="eu">Europe</option>
            <option value="au">Australia</option>
          </select>
          ${stripeKeyField(options.allowTestMode)}
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
      ${stripeKeyField(options.allowTestMode)}
      <button class="button ${options.stripeOAuth ? 'secondary' : ''}" type="submit">Use this key</button>
    </form>
  </section>`;
  return layout({ title: 'Connect Stripe', body, signedIn: options.signedIn });
}
