import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../errors';
import { renderEventAt } from '../objects/versions';
import { apiVersion } from '../types';
import { createWebhookEndpoint } from '../webhooks/endpoints';
import { checkNewEndpoint } from '../webhooks/endpoint-rules';
import { paginate } from './pagination';
import { arrayOf, boolean, inRange, listParams, parseParams, range, recordOf, string } from './params';
import { type ApiRequest, type Route } from './route';

/** The Events API only returns events from the last 30 days. */
const retentionSeconds = 30 * 86_400;

/** `type` may end in `*` to match a family (`customer.*`). */
function typeMatches(type: string, pattern: string): boolean {
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
}

function listEvents({ data, params, expander, clock }: ApiRequest): object {
  const query = parseParams(params, {
    ...listParams,
    created: range,
    delivery_success: boolean,
    type: string,
    types: arrayOf(string),
  });
  if (query.type !== undefined && query.types !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: type, types.', 'types');
  }
  if (query.types !== undefined && query.types.length > 20) {
    throw invalidRequest('You may filter on at most 20 event types.', 'types');
  }
  const oldest = clock.now() - retentionSeconds;
  const page = paginate(
    data.events,
    query,
    (event) =>
      event.created >= oldest &&
      inRange(event.created, query.created) &&
      (query.type === undefined || typeMatches(event.type, query.type)) &&
      (query.types === undefined || query.types.includes(event.type)) &&
      (query.delivery_success === undefined || (event.pending_webhooks === 0) === query.delivery_success),
    '/v1/events',
    'event',
  );
  return expander.render({ ...page, data: page.data.map(atCreationVersion) }, query.expand);
}

/** Listed and retrieved events come at the API version they were created at (objects/versions.ts). */
function atCreationVersion(event: Stripe.Event): Stripe.Event {
  return renderEventAt(event, event.api_version ?? apiVersion);
}

function retrieveEvent({ data, params, path, expander, clock }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  const event = data.events.get(path.id as string);
  if (event === undefined || event.created < clock.now() - retentionSeconds) {
    throw resourceMissing('event', path.id as string);
  }
  return expander.render(atCreationVersion(event), query.expand);
}

function required<T>(value: T | undefined, param: string): T {
  if (value === undefined) throw invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
  return value;
}

function createEndpoint({ data, params, ids, clock, endpointRules }: ApiRequest): object {
  const body = parseParams(params, {
    url: string,
    enabled_events: arrayOf(string),
    api_version: string,
    connect: boolean,
    description: string,
    expand: arrayOf(string),
    metadata: recordOf(string),
  });
  const fields = {
    url: required(body.url, 'url'),
    enabledEvents: required(body.enabled_events, 'enabled_events'),
    description: body.description,
    apiVersion: body.api_version,
    metadata: body.metadata,
  };
  checkNewEndpoint(fields, data.livemode, endpointRules);
  return createWebhookEndpoint(data, ids, clock, fields);
}

function findEndpoint({ data, path }: ApiRequest): Stripe.WebhookEndpoint {
  const endpoint = data.webhookEndpoints.get(path.id as string);
  if (endpoint === undefined) throw resourceMissing('webhook_endpoint', path.id as string);
  return endpoint;
}

function listEndpoints({ data, params, expander }: ApiRequest): object {
  const query = parseParams(params, listParams);
  const page = paginate(data.webhookEndpoints, query, () => true, '/v1/webhook_endpoints', 'webhook_endpoint');
  return expander.render(page, query.expand);
}

function retrieveEndpoint(request: ApiRequest): object {
  const query = parseParams(request.params, { expand: arrayOf(string) });
  return request.expander.render(findEndpoint(request), query.expand);
}

function updateEndpoint(request: ApiRequest): object {
  const body = parseParams(request.params, {
    url: string,
    enabled_events: arrayOf(string),
    description: string,
    disabled: boolean,
    expand: arrayOf(string),
    metadata: recordOf(string),
  });
  const endpoint = findEndpoint(request);
  if (body.url !== undefined) endpoint.url = body.url;
  if (body.enabled_events !== undefined) endpoint.enabled_events = body.enabled_events;
  if (body.description !== undefined) endpoint.description = body.description;
  if (body.disabled !== undefined) endpoint.status = body.disabled ? 'disabled' : 'enabled';
  if (body.metadata !== undefined) endpoint.metadata = { ...endpoint.metadata, ...body.metadata };
  return request.expander.render(endpoint, body.expand);
}

function deleteEndpoint(request: ApiRequest): object {
  const endpoint = findEndpoint(request);
  request.data.webhookEndpoints.remove(endpoint.id);
  request.data.webhookSecrets.delete(endpoint.id);
  return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
}

export const eventRoutes: Route[] = [
  { method: 'GET', path: '/v1/events', handle: listEvents },
  { method: 'GET', path: '/v1/events/:id', handle: retrieveEvent },
  { method: 'POST', path: '/v1/webhook_endpoints', handle: createEndpoint },
  { method: 'GET', path: '/v1/webhook_endpoints', handle: listEndpoints },
  { method: 'GET', path: '/v1/webhook_endpoints/:id', handle: retrieveEndpoint },
  { method: 'POST', path: '/v1/webhook_endpoints/:id', handle: updateEndpoint },
  { method: 'DELETE', path: '/v1/webhook_endpoints/:id', handle: deleteEndpoint },
];
