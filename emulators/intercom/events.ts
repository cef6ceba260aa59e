import { emailKey } from './contacts';
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
  const contacts = [...workspace.contacts.values()];
  let found: StoredContact | undefined;
  if (input.id !== undefined) found = workspace.contacts.get(input.id);
  else if (input.userId !== undefined) found = contacts.find((contact) => contact.externalId === input.userId);
  else if (input.email !== undefined) {
    const wanted = emailKey(input.email);
    const byEmail = contacts.filter((contact) => contact.email !== null && emailKey(contact.email) === wanted);
    found = byEmail.find((contact) => contact.role === 'user') ?? byEmail[0];
  } else throw invalidParameter('An event needs one of id, user_id or email to identify the contact');
  if (!found) throw userNotFound();
  return found;
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
