import { getMaxListeners, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { IntercomError, type IntercomClient, type Intercom } from 'intercom-client';
import type { RateWindow } from './rate-window';
import { MAX_IN_FLIGHT, type InFlightLimiter } from './intercom-in-flight';
import { activityContext, throwIfActivityCancelled } from '../vendors/activity-cancellation';

/** Intercom answered 429: retry after `retryAfterMs`. */
export class IntercomRateLimited extends Error {
  override name = 'IntercomRateLimited';
  constructor(readonly retryAfterMs: number) {
    super(`Intercom rate limit exceeded; retry in ${retryAfterMs} ms`);
  }
}

/** A 4xx that retrying cannot fix (invalid email, attribute type clash…): recorded per customer. */
export class IntercomRejected extends Error {
  override name = 'IntercomRejected';
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** The token no longer works (revoked app, deleted workspace). */
export class IntercomUnauthorized extends Error {
  override name = 'IntercomUnauthorized';
}

/** The install was disabled: nothing more may reach Intercom for it, not even from a batch already running. */
export class InstallStopped extends Error {
  override name = 'InstallStopped';
}

export interface FoundContact {
  id: string;
  email: string | null;
  externalId: string | null;
  role: 'user' | 'lead';
  /** When Intercom created it (unix seconds), as the search answer gives it. */
  createdAt: number | null;
}

export interface ContactFields {
  /** Only ever `user`: sent once to turn a lead into the user (Intercom refuses the other way). */
  role?: 'user';
  email?: string;
  name?: string;
  external_id?: string;
  custom_attributes?: Record<string, unknown>;
}

export interface ExistingAttribute {
  name: string;
  type: string;
  custom: boolean;
  archived: boolean;
}

export type AttributeType = 'string' | 'integer' | 'float' | 'boolean' | 'date' | 'datetime';

/** The calls that write contacts and their events (ContactWriter): what a test's in-memory Intercom implements. */
export type ContactGateway = Pick<
  IntercomGateway,
  'findContacts' | 'createUser' | 'updateContact' | 'contactCreatedAt' | 'sendEvent'
>;

/** Intercom's search allows at most 15 filters per AND/OR group. */
export const SEARCH_FILTERS_PER_GROUP = 15;
const CONFLICT_ID = /already exists with id=([\w-]+)/;

/**
 * The Intercom calls the sync makes, each paced by the workspace's rate window and with Intercom's errors turned
 * into the three outcomes the caller cares about: retry later, reject this customer, or fail the install.
 */
export class IntercomGateway {
  constructor(
    private readonly client: IntercomClient,
    private readonly rate: RateWindow,
    private readonly onWait: () => void = () => undefined,
    /** Runs right before every call; throws InstallStopped once the install is disabled (at once, mid-batch). */
    private readonly beforeCall: () => Promise<void> = async () => undefined,
    /** The workspace's calls in flight (shared by every activity of this worker); unlimited when absent. */
    private readonly inFlight?: InFlightLimiter,
  ) {}

  /**
   * Finds contacts, users and leads alike, whose `field` equals one of `values` (15 per search call: Intercom's limit
   * per group). Keys are lower-cased; when several contacts share a key the user wins over a lead (a lead
   * is only used when no user has the email: one person, one contact), then the oldest.
   *
   * The query is one OR group of filters: the 2.14 reference defines a group's `value` as either all filters or all
   * nested groups, never a mix (components.schemas.multiple_filter_search_request;
   * https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/contacts/searchcontacts).
   */
  async findContacts(field: 'email' | 'external_id', values: string[]): Promise<Map<string, FoundContact>> {
    const chunks: string[][] = [];
    for (let start = 0; start < values.length; start += SEARCH_FILTERS_PER_GROUP) {
      chunks.push(values.slice(start, start + SEARCH_FILTERS_PER_GROUP));
    }
    // The chunks are searched at once (the workspace's in-flight limiter still decides how many calls run), then
    // merged in order, so the preferred contact does not depend on which answer came first.
    const pages = await Promise.all(chunks.map((chunk) => this.searchAll(field, chunk)));
    const found = new Map<string, FoundContact>();
    for (const contact of pages.flat()) {
      const key = (field === 'email' ? contact.email : contact.externalId)?.trim().toLowerCase();
      const current = key ? found.get(key) : undefined;
      if (key && (!current || preferredContact(contact, current) === contact)) found.set(key, contact);
    }
    return found;
  }

  /** Every contact one OR group of filters matches, following the search's pages. */
  private async searchAll(field: 'email' | 'external_id', chunk: string[]): Promise<FoundContact[]> {
    const query: Intercom.SearchRequest['query'] = {
      operator: 'OR',
      value: chunk.map((value) => ({ field, operator: '=', value })),
    };
    const contacts: FoundContact[] = [];
    let startingAfter: string | undefined;
    do {
      const list = await this.call((options) =>
        this.client.contacts
          .search(
            { query, pagination: { per_page: 150, ...(startingAfter && { starting_after: startingAfter }) } },
            options,
          )
          .then((page) => ({ data: page.response, rawResponse: page.rawResponse })),
      );
      for (const contact of list.data ?? []) {
        contacts.push({
          id: contact.id,
          email: contact.email ?? null,
          externalId: contact.external_id ?? null,
          role: contact.role === 'lead' ? 'lead' : 'user',
          createdAt: contact.created_at ?? null,
        });
      }
      startingAfter = list.pages?.next?.starting_after ?? undefined;
    } while (startingAfter);
    return contacts;
  }

  /** Creates a user; when Intercom says one already exists (409), returns that one instead. */
  async createUser(fields: ContactFields): Promise<{ id: string; created: boolean }> {
    try {
      const contact = await this.call((options) =>
        this.client.contacts
          .create({ role: 'user', ...fields } as Intercom.CreateContactRequest, options)
          .withRawResponse(),
      );
      return { id: contact.id, created: true };
    } catch (err) {
      const existingId = conflictingContactId(err);
      if (existingId) return { id: existingId, created: false };
      throw err;
    }
  }

  /** Updates a contact; resolves false when the contact no longer exists in Intercom. */
  async updateContact(contactId: string, fields: ContactFields): Promise<boolean> {
    try {
      await this.call((options) =>
        this.client.contacts.update({ contact_id: contactId, ...fields }, options).withRawResponse(),
      );
      return true;
    } catch (err) {
      if (err instanceof IntercomRejected && err.status === 404) return false;
      throw err;
    }
  }

  /** When Intercom created the contact (unix seconds); null when it no longer exists. */
  async contactCreatedAt(contactId: string): Promise<number | null> {
    try {
      const contact = await this.call((options) =>
        this.client.contacts.find({ contact_id: contactId }, options).withRawResponse(),
      );
      return contact.created_at;
    } catch (err) {
      if (err instanceof IntercomRejected && err.status === 404) return null;
      throw err;
    }
  }

  async sendEvent(event: { contactId: string; name: string; createdAt: number; metadata: Record<string, unknown> }) {
    await this.call((options) =>
      this.client.events
        .create(
          {
            id: event.contactId,
            event_name: event.name,
            created_at: event.createdAt,
            metadata: event.metadata as Intercom.CreateDataEventRequest['metadata'],
          },
          options,
        )
        .withRawResponse(),
    );
  }

  /** Every contact attribute, archived ones included (they keep their names: a new one cannot take them). */
  async listContactAttributes(): Promise<ExistingAttribute[]> {
    const list = await this.call((options) =>
      this.client.dataAttributes.list({ model: 'contact', include_archived: true }, options).withRawResponse(),
    );
    return (list.data ?? []).map((attribute) => ({
      name: attribute.name ?? '',
      type: attribute.data_type ?? '',
      custom: attribute.custom ?? false,
      archived: attribute.archived ?? false,
    }));
  }

  async createContactAttribute(name: string, type: AttributeType, description: string): Promise<void> {
    await this.call((options) =>
      this.client.dataAttributes
        .create(
          { name, model: 'contact', data_type: type, description } as Intercom.CreateDataAttributeRequest,
          options,
        )
        .withRawResponse(),
    );
  }

  /**
   * Sends one request within the workspace's rate window. A cancelled activity (import cancelled, install disabled,
   * heartbeat timeout) sends nothing more and aborts the request in flight rather than holding its slot until the
   * client's 30 s timeout: whatever the aborted request did is found again by the retry, as a lost answer would be.
   */
  private async call<T>(
    send: (options: { abortSignal?: AbortSignal }) => Promise<{ data: T; rawResponse: { headers: Headers } }>,
  ): Promise<T> {
    const abortSignal = activityContext()?.cancellationSignal;
    for (let wait = this.rate.reserve(); wait > 0; wait = this.rate.reserve()) {
      this.onWait();
      throwIfActivityCancelled();
      await sleep(Math.min(wait, 5_000));
    }
    throwIfActivityCancelled();
    await this.beforeCall();
    const sendAbortable = () => abortableBy(abortSignal, (signal) => send(signal ? { abortSignal: signal } : {}));
    try {
      const { data, rawResponse } = await (this.inFlight ? this.inFlight.run(sendAbortable) : sendAbortable());
      this.rate.observe(rawResponse.headers);
      return data;
    } catch (err) {
      throw this.classify(err);
    }
  }

  private classify(err: unknown): unknown {
    if (!(err instanceof IntercomError) || err.statusCode === undefined) return err;
    const headers = err.rawResponse?.headers;
    this.rate.observe(headers);
    const status = err.statusCode;
    if (status === 429) {
      const resetSeconds = Number(headers?.get('x-ratelimit-reset'));
      const retryAfterMs = Number.isFinite(resetSeconds) ? Math.max(resetSeconds * 1000 - Date.now(), 250) : 10_000;
      this.rate.exhaust(Date.now() + retryAfterMs);
      return new IntercomRateLimited(retryAfterMs);
    }
    if (status === 401 || status === 403)
      return new IntercomUnauthorized(`Intercom rejected the access token (${status})`);
    if (status >= 400 && status < 500) {
      const first = firstError(err.body);
      return new IntercomRejected(status, first.code, first.message ?? err.message);
    }
    return err;
  }
}

/**
 * Runs `work` with a signal of its own that follows `cancellation`, listening only while it runs: handing the
 * activity's signal to every request would pile one listener per request on it (the client does not remove them).
 */
async function abortableBy<T>(
  cancellation: AbortSignal | undefined,
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!cancellation) return work(undefined);
  // One listener per request in flight, which the workspace's in-flight limit bounds (at most 64), above Node's
  // default warning threshold of 10 listeners per signal.
  if (getMaxListeners(cancellation) < MAX_IN_FLIGHT) setMaxListeners(MAX_IN_FLIGHT, cancellation);
  const controller = new AbortController();
  const abort = () => controller.abort(cancellation.reason);
  cancellation.addEventListener('abort', abort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    cancellation.removeEventListener('abort', abort);
  }
}

/** The user Intercom named in a 409 ("A contact matching those details already exists with id=…"), if any. */
export function conflictingContactId(err: unknown): string | undefined {
  return err instanceof IntercomRejected && err.status === 409 ? CONFLICT_ID.exec(err.message)?.[1] : undefined;
}

/** Of two contacts with one key, the one to link: a user over a lead, then the older (ids grow with time). */
function preferredContact(a: FoundContact, b: FoundContact): FoundContact {
  if (a.role !== b.role) return a.role === 'user' ? a : b;
  return a.id < b.id ? a : b;
}

function firstError(body: unknown): { code: string | null; message: string | null } {
  const errors = (body as { errors?: { code?: string; message?: string }[] } | undefined)?.errors;
  return { code: errors?.[0]?.code ?? null, message: errors?.[0]?.message ?? null };
}
