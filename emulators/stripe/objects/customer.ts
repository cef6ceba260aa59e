import type Stripe from 'stripe';

export interface CustomerFields {
  id: string;
  created: number;
  livemode: boolean;
  invoicePrefix: string;
  email?: string | null;
  name?: string | null;
  description?: string | null;
  phone?: string | null;
  currency?: string | null;
  balance?: number;
  delinquent?: boolean;
  metadata?: Record<string, string>;
}

/** A customer as the API returns it by default: no `subscriptions`/`sources` (those are include-only now). */
export function buildCustomer(fields: CustomerFields): Stripe.Customer {
  return {
    id: fields.id,
    object: 'customer',
    address: null,
    balance: fields.balance ?? 0,
    created: fields.created,
    currency: fields.currency ?? null,
    customer_account: null,
    default_source: null,
    delinquent: fields.delinquent ?? false,
    description: fields.description ?? null,
    discount: null,
    email: fields.email ?? null,
    invoice_prefix: fields.invoicePrefix,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: fields.livemode,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    next_invoice_sequence: 1,
    phone: fields.phone ?? null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export function deletedCustomer(id: string): Stripe.DeletedCustomer {
  return { id, object: 'customer', deleted: true };
}
