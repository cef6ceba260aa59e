import type Stripe from 'stripe';
import { type Clock } from './clock';
import { type DataSet } from './dataset';
import { type Ids } from './ids';
import { apiVersion } from './types';
import { buildEvent } from './objects/event';
import { type WebhookDeliverer, type WebhookTarget } from './webhooks/deliverer';

export interface EmitOptions {
  previousAttributes?: Record<string, unknown>;
  /** Backdates the event (tests of the 30-day window); defaults to the emulator clock. */
  created?: number;
  /** For Connect events such as `account.application.deauthorized`. */
  account?: string;
}

/** Records events in a data set and hands them to the webhook deliverer for that mode's endpoints. */
export class EventLog {
  constructor(
    private readonly ids: Ids,
    private readonly clock: Clock,
    private readonly deliverer: WebhookDeliverer,
    /**
     * The account's default API version, which events are created at ("The Stripe API version used to render data",
     * https://docs.stripe.com/api/events/object#event_object-api_version); an account may be older than the version
     * its integrations pin (https://docs.stripe.com/upgrades#how-can-i-upgrade-my-api).
     */
    public defaultApiVersion: string = apiVersion,
  ) {}

  emit(data: DataSet, type: Stripe.Event.Type, object: object, options: EmitOptions = {}): Stripe.Event {
    const targets = this.targets(data, type);
    const event = buildEvent({
      id: this.ids.next('evt'),
      created: options.created ?? this.clock.now(),
      livemode: data.livemode,
      type,
      // A snapshot: later changes to the object must not show up in an already emitted event.
      object: structuredClone(object),
      previousAttributes: options.previousAttributes,
      account: options.account,
      requestId: this.ids.next('req', 14),
      pendingWebhooks: targets.length,
      apiVersion: this.defaultApiVersion,
    });
    data.events.insert(event);
    this.deliverer.enqueue(event, targets);
    return event;
  }

  /** Enabled endpoints of the same mode subscribed to this type or to `*`. */
  private targets(data: DataSet, type: string): WebhookTarget[] {
    return data.webhookEndpoints
      .ordered()
      .filter(
        (endpoint) =>
          endpoint.status === 'enabled' &&
          (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type)),
      )
      .map((endpoint) => ({
        endpointId: endpoint.id,
        url: endpoint.url,
        secret: data.webhookSecrets.get(endpoint.id) ?? '',
        apiVersion: endpoint.api_version,
      }));
  }
}
