import { credentialField, type FieldError } from './connect';
import { html, type Html } from './html';

/** The status page's support part (issue 22): Fin's secret, the workspace's Stripe accounts, the customer look-up. */
export interface SupportOptions {
  /** The install's Fin secret as far as it may be shown again: its last characters and when it was made. */
  finSecret: { hint: string; createdAt: Date } | null;
  /** A secret made by this very request: the one time it is shown whole. */
  issuedSecret?: string;
  /** What Intercom's data connector calls (`{email}` is filled in by Intercom). */
  connectorUrl: string;
  /** The workspace's Stripe accounts that are not disconnected, the primary first. */
  accounts: { id: string; stripeAccountId: string; attributePrefix: string; livemode: boolean; primary: boolean }[];
}

interface SectionOptions {
  installId: string;
  csrfToken: string;
  support: SupportOptions;
  formError?: (FieldError & { form: string }) | undefined;
}

const csrf = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}" />`;
const utc = (at: Date): string => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Look one customer up (by Stripe customer id or email) to see it explained. A GET form: it changes nothing. */
export function customerLookupForm(options: SectionOptions): Html {
  const error = options.formError?.form === 'customer' ? options.formError : undefined;
  return html`<h2 id="customer-lookup">Explain one customer</h2>
    <p class="hint" id="customer-lookup-hint">
      What Stripe holds now, what this service computes from it, what Intercom holds, their differences and the
      customer's recent events. Enter a Stripe customer id (cus_…) or an email.
    </p>
    <form method="get" action="/app/installs/${options.installId}/customers" class="stack">
      ${credentialField({
        id: 'customer-key',
        name: 'customer',
        label: 'Stripe customer id or email',
        type: 'text',
        placeholder: 'cus_… or someone@example.com',
        hintId: 'customer-lookup-hint',
        error,
        required: true,
      })}
      <button class="button secondary" type="submit">Explain</button>
    </form>`;
}

/** Fin's bearer secret: made or rotated here, shown whole once, afterwards only its last characters. */
export function finSecretSection(options: SectionOptions): Html {
  const { installId, csrfToken, support } = options;
  const issued = support.issuedSecret;
  const current = support.finSecret;
  return html`<h2 id="fin-secret">Answers for Fin</h2>
    <p class="hint">
      Intercom's data connector asks <code>${support.connectorUrl}</code> with the header
      <code>Authorization: Bearer &lt;Fin secret&gt;</code>. Steps: docs/integration.md, “Inbox card and Fin”.
    </p>
    ${
      issued
        ? html`<div class="notice tone-good" role="status" id="fin-secret-issued">
            <p>
              <strong>Copy this secret now: it is shown only this once.</strong> Paste it into the data connector's
              Authorization header. ${current ? 'Any earlier secret stopped working.' : ''}
            </p>
            <p><code class="secret" id="fin-secret-value">${issued}</code></p>
          </div>`
        : current
          ? html`<p id="fin-secret-hint">
              A Fin secret is set: it ends in <code>…${current.hint}</code> and was made ${utc(current.createdAt)}.
            </p>`
          : html`<p id="fin-secret-hint">No Fin secret yet: Fin's data connector cannot ask until you create one.</p>`
    }
    <form
      method="post"
      action="/app/installs/${installId}/fin-secret"
      ${current ? html`data-confirm="Rotate the Fin secret? The current one stops working at once."` : ''}
    >
      ${csrf(csrfToken)}
      <button class="button secondary" id="fin-secret-button" type="submit">
        ${current ? 'Rotate the Fin secret' : 'Create a Fin secret'}
      </button>
    </form>`;
}

/** Several Stripe accounts in one workspace: which is primary (listed first on the inbox card and in Fin's answers). */
export function primaryAccountSection(options: SectionOptions): Html {
  const { installId, csrfToken, support } = options;
  const error = options.formError?.form === 'primary' ? options.formError : undefined;
  if (support.accounts.length < 2) {
    return html`<h2 id="primary-account">Stripe accounts</h2>
      <p class="hint">
        This workspace has one connected Stripe account, so it is the primary one. With several, choose here which the
        inbox card and Fin's answers list first.
      </p>`;
  }
  return html`<h2 id="primary-account">Stripe accounts</h2>
    <form method="post" action="/app/installs/${installId}/primary" class="stack">
      ${csrf(csrfToken)}
      <fieldset ${error ? html`aria-describedby="primary-error"` : ''}>
        <legend>Primary Stripe account (listed first on the inbox card and in Fin's answers)</legend>
        ${error && html`<p class="field-error" id="primary-error" role="alert">${error.message}</p>`}
        ${support.accounts.map(
          (account) =>
            html`<label class="choice">
              <input
                type="radio"
                name="primary"
                value="${account.id}"
                ${account.primary ? html`checked` : ''}
                required
              />
              <code>${account.stripeAccountId}</code> (attributes
              ${account.attributePrefix}…${
                account.livemode ? '' : ', test mode'
              }${account.primary ? ', primary now' : ''})
            </label>`,
        )}
      </fieldset>
      <button class="button secondary" id="primary-button" type="submit">Make primary</button>
    </form>`;
}
