import type Stripe from 'stripe';

export interface WebhookEndpointFields {
  id: string;
  created: number;
  livemode: boolean;
  url: string;
  enabledEvents: string[];
  description?: string | null;
  apiVersion?: string | null;
  metadata?: Record<string, string>;
}

/** The stored endpoint never carries its secret: Stripe returns `secret` only in the create response. */
export function buildWebhookEndpoint(fields: WebhookEndpointFields): Stripe.WebhookEndpoint {
  return {
    id: fields.id,
    object: 'webhook_endpoint',
    api_version: fields.apiVersion ?? null,
    application: null,
    created: fields.created,
    description: fields.description ?? null,
    enabled_events: fields.enabledEvents,
    livemode: fields.livemode,
    metadata: fields.metadata ?? {},
    status: 'enabled',
    url: fields.url,
  };
}
