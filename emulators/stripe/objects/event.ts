import type Stripe from 'stripe';

export interface EventFields {
  id: string;
  created: number;
  livemode: boolean;
  type: Stripe.Event.Type;
  object: object;
  previousAttributes?: Record<string, unknown>;
  /** Connect events name the connected account they are about. */
  account?: string;
  requestId: string | null;
  pendingWebhooks: number;
  /** The account's default API version when the event is created: its `data` is rendered at it (versions.ts). */
  apiVersion: string;
}

export function buildEvent(fields: EventFields): Stripe.Event {
  const data: Stripe.Event.Data = { object: fields.object as Stripe.Event.Data.Object };
  if (fields.previousAttributes !== undefined) data.previous_attributes = fields.previousAttributes;
  // Stripe.Event is a union keyed by `type`; the builder is generic over it, hence the cast.
  return {
    id: fields.id,
    object: 'event',
    ...(fields.account === undefined ? {} : { account: fields.account }),
    api_version: fields.apiVersion,
    created: fields.created,
    data,
    livemode: fields.livemode,
    pending_webhooks: fields.pendingWebhooks,
    request: { id: fields.requestId, idempotency_key: null },
    type: fields.type,
  } as Stripe.Event;
}
