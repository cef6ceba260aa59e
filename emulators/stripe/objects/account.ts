import type Stripe from 'stripe';

export interface AccountFields {
  id: string;
  created: number;
  name: string;
  email: string;
}

/** The account behind every key, as `GET /v1/account` returns it to its owner. */
export function buildAccount(fields: AccountFields): Stripe.Account {
  return {
    id: fields.id,
    object: 'account',
    business_profile: {
      mcc: '5734',
      minority_owned_business_designation: null,
      name: fields.name,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: fields.email,
      support_phone: null,
      support_url: null,
      url: 'https://example.com',
    },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    country: 'US',
    created: fields.created,
    default_currency: 'usd',
    details_submitted: true,
    email: fields.email,
    metadata: {},
    payouts_enabled: true,
    settings: {
      branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
      card_payments: {
        statement_descriptor_prefix: 'EMULATED',
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      dashboard: { display_name: fields.name, timezone: 'Etc/UTC' },
      payments: {
        statement_descriptor: 'EMULATED',
        statement_descriptor_kana: null,
        statement_descriptor_kanji: null,
        statement_descriptor_prefix_kana: null,
        statement_descriptor_prefix_kanji: null,
      },
      payouts: {
        debit_negative_balances: true,
        schedule: { delay_days: 2, interval: 'daily' },
        statement_descriptor: null,
      },
    },
    type: 'standard',
  };
}

/** The application an `account.application.*` event names: the integration that lost (or got) access. */
export function buildApplication(id: string, name: string): Stripe.Application {
  return { id, object: 'application', name };
}
