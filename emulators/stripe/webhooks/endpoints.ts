import type Stripe from 'stripe';
import { type Clock } from '../clock';
import { type DataSet } from '../dataset';
import { type Ids } from '../ids';
import { buildWebhookEndpoint } from '../objects/webhook-endpoint';

export interface NewEndpoint {
  url: string;
  enabledEvents: string[];
  description?: string | null;
  apiVersion?: string | null;
  metadata?: Record<string, string>;
}

/** Creates an endpoint in the data set; the returned copy is the only one that shows `secret`. */
export function createWebhookEndpoint(
  data: DataSet,
  ids: Ids,
  clock: Clock,
  fields: NewEndpoint,
): Stripe.WebhookEndpoint & { secret: string } {
  const endpoint = buildWebhookEndpoint({
    ...fields,
    id: ids.next('we'),
    created: clock.now(),
    livemode: data.livemode,
  });
  const secret = ids.next('whsec', 32);
  data.webhookEndpoints.insert(endpoint);
  data.webhookSecrets.set(endpoint.id, secret);
  return { ...structuredClone(endpoint), secret };
}
