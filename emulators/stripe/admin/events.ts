import type Stripe from 'stripe';
import { buildApplication } from '../objects/account';
import { createWebhookEndpoint as storeEndpoint } from '../webhooks/endpoints';
import { type AdminContext } from './context';
import {
  createWebhookEndpointInput,
  deauthorizeInput,
  emitEventInput,
  type CreateWebhookEndpointInput,
  type DeauthorizeInput,
  type EmitEventInput,
} from './schemas';

/** `account.application.deauthorized`: the user disconnected the app; it carries the account id. */
export function deauthorizeApplication(context: AdminContext, raw?: DeauthorizeInput): Stripe.Event {
  const input = deauthorizeInput.parse(raw);
  const application = buildApplication(input.applicationId, input.applicationName);
  return structuredClone(
    context.events.emit(context.datasets[input.mode], 'account.application.deauthorized', application, {
      account: context.account.id,
    }),
  );
}

/** Any event with any object, optionally backdated: for cases the typed mutations do not cover. */
export function emitEvent(context: AdminContext, raw: EmitEventInput): Stripe.Event {
  const input = emitEventInput.parse(raw);
  return structuredClone(
    context.events.emit(context.datasets[input.mode], input.type as Stripe.Event.Type, input.object, {
      previousAttributes: input.previousAttributes,
      created: input.created,
      account: input.account,
    }),
  );
}

export function createWebhookEndpoint(
  context: AdminContext,
  raw: CreateWebhookEndpointInput,
): Stripe.WebhookEndpoint & { secret: string } {
  const input = createWebhookEndpointInput.parse(raw);
  return storeEndpoint(context.datasets[input.mode], context.ids, context.clock, {
    url: input.url,
    enabledEvents: input.enabledEvents,
    description: input.description,
  });
}
