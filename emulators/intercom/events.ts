import { invalidParameter, userNotFound } from './errors';
import type { StoredContact, Workspace } from './workspace';

/** Intercom's limits on data events (design §5, §6). */
const MAX_METADATA_KEYS = 10;
const MAX_EVENT_NAMES = 120;

export interface EventInput {
  eventName: string;
  createdAt: number;
  id?: string;
  userId?: string;
  email?: string;
  metadata?: Record<string, unknown>;
}

/**
 * `POST /events`. A repeat of (contact, name, created_at) is accepted (202) and dropped, as Intercom does: "Each event
 * is uniquely identified as a combination of [...] the Contact external identifier, the Data Event name and the Data
 * Event created time" (2.14 reference, Submit a data event, "Event de-duplication":
 * https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-events/createdataevent).
 * Stricter than Intercom on purpose: more than 10 metadata keys is a 400 (Intercom silently drops the extra keys,
 * which would hide the loss), and metadata values must be one of Intercom's documented kinds.
 */
export function trackEvent(workspace: Workspace, input: EventInput, nowMs: number): void {
  const contact = resolveContact(workspace, input);
  const metadata = input.metadata ?? {};
  const keys = Object.keys(metadata);
  if (keys.length > MAX_METADATA_KEYS) {
    throw invalidParameter(`Events allow at most ${MAX_METADATA_KEYS} metadata keys; got ${keys.length}`, 'metadata');
  }
  for (const [key, value] of Object.entries(metadata)) assertMetadataValue(key, value);
  const eventKey = [contact.id, input.eventName, input.createdAt].join('|');
  if (workspace.eventKeys.has(eventKey)) return;
  if (!workspace.eventNames.has(input.eventName) && workspace.eventNames.size >= MAX_EVENT_NAMES) {
    throw invalidParameter(`This workspace already has the maximum of ${MAX_EVENT_NAMES} event names`, 'event_name');
  }
  workspace.eventKeys.add(eventKey);
  workspace.eventNames.add(input.eventName);
  workspace.events.push({
    contactId: contact.id,
    eventName: input.eventName,
    createdAt: input.createdAt,
    metadata: { ...metadata },
    receivedAtMs: nowMs,
  });
}

function resolveContact(workspace: Workspace, input: EventInput): StoredContact {
  let found: StoredContact | undefined;
  if (input.id !== undefined) found = workspace.contacts.get(input.id);
  else if (input.userId !== undefined) found = workspace.contactsWith('external_id', input.userId)[0];
  else if (input.email !== undefined) {
    const byEmail = workspace.contactsWith('email', input.email);
    found = byEmail.find((contact) => contact.role === 'user') ?? byEmail[0];
  } else throw invalidParameter('An event needs one of id, user_id or email to identify the contact');
  if (!found) throw userNotFound();
  return found;
}

/** Intercom lists only events younger than this (its docs: "less than 90 days old"). */
const LISTABLE_FOR_MS = 90 * 24 * 60 * 60 * 1000;
const DEFAULT_EVENTS_PER_PAGE = 50;

export interface EventListQuery {
  type?: string;
  intercomUserId?: string;
  userId?: string;
  email?: string;
  perPage?: number;
  /** Paging cursor: only events created before this instant (epoch ms), as in Intercom's `pages.next` links. */
  before?: number;
}

/**
 * `GET /events?type=user&intercom_user_id=…` (or `user_id`, `email`): one contact's data events, newest first
 * (https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-events/lisdataevents).
 * `type` must be `user`; only events younger than 90 days are listed; `pages.next` carries `before` (epoch ms).
 */
export function listEvents(workspace: Workspace, query: EventListQuery, nowMs: number, baseUrl: string) {
  if (query.type !== 'user') throw invalidParameter('The type parameter value must be user', 'type');
  const contact = resolveContact(workspace, {
    eventName: '',
    createdAt: 0,
    id: query.intercomUserId,
    userId: query.userId,
    email: query.email,
  });
  const perPage = query.perPage ?? DEFAULT_EVENTS_PER_PAGE;
  if (!Number.isInteger(perPage) || perPage < 1)
    throw invalidParameter('per_page must be a positive integer', 'per_page');
  const listable = workspace.events
    .filter((event) => event.contactId === contact.id && event.createdAt * 1000 > nowMs - LISTABLE_FOR_MS)
    .filter((event) => query.before === undefined || event.createdAt * 1000 < query.before)
    .sort((a, b) => b.createdAt - a.createdAt);
  const page = listable.slice(0, perPage);
  const last = page.at(-1);
  const next =
    listable.length > perPage && last
      ? `${baseUrl}/events?type=user&intercom_user_id=${contact.id}&per_page=${perPage}&before=${last.createdAt * 1000}`
      : undefined;
  return {
    type: 'event.list' as const,
    events: page.map((event) => ({
      type: 'event' as const,
      event_name: event.eventName,
      created_at: event.createdAt,
      intercom_user_id: contact.id,
      ...(contact.externalId !== null && { user_id: contact.externalId }),
      ...(contact.email !== null && { email: contact.email }),
      metadata: event.metadata,
    })),
    pages: next ? { next } : {},
  };
}

/** Intercom's metadata kinds: scalars, rich links `{url, value}` and monetary amounts `{amount (cents), currency}`. */
function assertMetadataValue(key: string, value: unknown): void {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const fields = Object.keys(value).sort().join(',');
    const record = value as Record<string, unknown>;
    if (fields === 'url,value' && typeof record.url === 'string') return;
    if (fields === 'amount,currency' && Number.isSafeInteger(record.amount) && typeof record.currency === 'string') {
      return;
    }
  }
  throw invalidParameter(
    `Metadata '${key}' must be a string, number, boolean, {url, value} or {amount (integer cents), currency}`,
    'metadata',
  );
}
