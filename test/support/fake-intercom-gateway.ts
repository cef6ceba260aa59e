import {
  IntercomRejected,
  type ContactFields,
  type ContactGateway,
  type FoundContact,
} from '../../src/activities/intercom-gateway';

export interface FakeContact {
  id: string;
  role: 'user' | 'lead';
  email: string | null;
  name: string | null;
  externalId: string | null;
  customAttributes: Record<string, unknown>;
  /** Unix seconds, as Intercom gives it. */
  createdAt: number;
  /** Made by a createUser call (the service), not seeded as the workspace's own. */
  createdByCreateCall: boolean;
  /** Visible to search: Intercom's search lags behind new contacts. */
  searchable: boolean;
  events: { name: string; createdAt: number }[];
}

export type GatewayCall = 'findContacts' | 'createUser' | 'updateContact' | 'contactCreatedAt' | 'sendEvent';

/** The error a caller sees when the connection drops before the answer arrives. */
export class LostAnswer extends Error {
  override name = 'LostAnswer';
}

/**
 * An in-memory Intercom behind the gateway the contact writer uses, with the rules the emulator follows: users are
 * unique by email (case-insensitively) and by external id, leads may share an email; a create or update that would
 * give a user another user's email or external id is refused with a 409 naming that user
 * (https://developers.intercom.com/docs/references/2.1/rest-api/contacts/create-contact); a contact created recently
 * may not show in search yet ("Contact Creation Delay",
 * https://developers.intercom.com/docs/references/2.7/rest-api/api.intercom.io/Contacts/SearchContacts/).
 *
 * Faults: `loseAnswer(n)` applies the n-th call (0-based, counting every call) and then throws LostAnswer, as when a
 * request took effect at Intercom but its answer never came back. With `searchLag` new contacts stay out of search
 * until `settleSearch()`.
 */
export class FakeIntercomGateway implements ContactGateway {
  readonly contacts = new Map<string, FakeContact>();
  readonly calls: GatewayCall[] = [];
  private nextId = 1;
  private readonly lostCalls = new Set<number>();

  constructor(private readonly options: { searchLag?: boolean; clock?: () => number } = {}) {}

  /** A contact of the workspace from before the install (a user or a lead). */
  seed(contact: {
    role: 'user' | 'lead';
    email: string;
    name?: string;
    createdAt?: number;
    /** False: created too recently to show in search yet. */
    searchable?: boolean;
  }): FakeContact {
    return this.insert({
      role: contact.role,
      email: contact.email,
      name: contact.name ?? null,
      externalId: null,
      customAttributes: {},
      createdAt: contact.createdAt ?? this.nowSeconds() - 86_400 * 30,
      createdByCreateCall: false,
      searchable: contact.searchable ?? true,
    });
  }

  loseAnswer(callIndex: number): void {
    this.lostCalls.add(callIndex);
  }

  settleSearch(): void {
    for (const contact of this.contacts.values()) contact.searchable = true;
  }

  delete(contactId: string): void {
    this.contacts.delete(contactId);
  }

  findContacts(field: 'email' | 'external_id', values: string[]): Promise<Map<string, FoundContact>> {
    // No values, no request (the gateway searches in chunks of 15 and has none to send).
    if (values.length === 0) return Promise.resolve(new Map());
    return this.answer('findContacts', () => {
      const found = new Map<string, FoundContact>();
      const wanted = new Set(values.map((value) => value.trim().toLowerCase()));
      const matches = [...this.contacts.values()]
        .filter((contact) => contact.searchable)
        .filter((contact) => {
          const key = (field === 'email' ? contact.email : contact.externalId)?.trim().toLowerCase();
          return key !== undefined && wanted.has(key);
        })
        // Users before leads, then the oldest: what the real gateway prefers.
        .sort((a, b) =>
          a.role === b.role ? a.createdAt - b.createdAt || a.id.localeCompare(b.id) : a.role === 'user' ? -1 : 1,
        );
      for (const contact of matches) {
        const key = (field === 'email' ? contact.email : contact.externalId)?.trim().toLowerCase() as string;
        if (!found.has(key)) found.set(key, toFound(contact));
      }
      return found;
    });
  }

  createUser(fields: ContactFields): Promise<{ id: string; created: boolean }> {
    return this.answer('createUser', () => {
      const holder = this.userHolding(fields.email ?? null, fields.external_id ?? null, undefined);
      if (holder) return { id: holder.id, created: false };
      const contact = this.insert({
        role: 'user',
        email: fields.email ?? null,
        name: fields.name ?? null,
        externalId: fields.external_id ?? null,
        customAttributes: { ...fields.custom_attributes },
        createdAt: this.nowSeconds(),
        createdByCreateCall: true,
        searchable: !this.options.searchLag,
      });
      return { id: contact.id, created: true };
    });
  }

  updateContact(contactId: string, fields: ContactFields): Promise<boolean> {
    return this.answer('updateContact', () => {
      const contact = this.contacts.get(contactId);
      if (!contact) return false;
      // What the contact would become: a user among users must hold its own email and external id.
      const becomesUser = (fields.role ?? contact.role) === 'user';
      const email = fields.email ?? contact.email;
      const externalId = fields.external_id ?? contact.externalId;
      const holder = becomesUser ? this.userHolding(email, externalId, contactId) : undefined;
      if (holder) {
        throw new IntercomRejected(
          409,
          'conflict',
          `A contact matching those details already exists with id=${holder.id}`,
        );
      }
      if (fields.role) contact.role = fields.role;
      if (fields.email !== undefined) contact.email = fields.email;
      if (fields.name !== undefined) contact.name = fields.name;
      if (fields.external_id !== undefined) contact.externalId = fields.external_id;
      Object.assign(contact.customAttributes, fields.custom_attributes);
      return true;
    });
  }

  contactCreatedAt(contactId: string): Promise<number | null> {
    return this.answer('contactCreatedAt', () => this.contacts.get(contactId)?.createdAt ?? null);
  }

  sendEvent(event: { contactId: string; name: string; createdAt: number; metadata: Record<string, unknown> }) {
    return this.answer('sendEvent', () => {
      const contact = this.contacts.get(event.contactId);
      if (!contact) throw new IntercomRejected(404, 'not_found', 'User Not Found');
      // Intercom keeps one event per (contact, name, created_at).
      if (!contact.events.some((sent) => sent.name === event.name && sent.createdAt === event.createdAt)) {
        contact.events.push({ name: event.name, createdAt: event.createdAt });
      }
    });
  }

  /** Applies the call, then answers it, or loses the answer when this call was chosen to lose it. */
  private async answer<T>(call: GatewayCall, apply: () => T): Promise<T> {
    const index = this.calls.length;
    this.calls.push(call);
    await Promise.resolve();
    const result = apply();
    if (this.lostCalls.has(index)) throw new LostAnswer(`${call} (call ${index}): connection reset before the answer`);
    return result;
  }

  private userHolding(email: string | null, externalId: string | null, selfId: string | undefined) {
    const normalized = email?.trim().toLowerCase();
    return [...this.contacts.values()].find(
      (contact) =>
        contact.id !== selfId &&
        contact.role === 'user' &&
        ((normalized !== undefined && contact.email?.trim().toLowerCase() === normalized) ||
          (externalId !== null && contact.externalId === externalId)),
    );
  }

  private insert(contact: Omit<FakeContact, 'id' | 'events'>): FakeContact {
    const stored = { ...contact, id: `contact_${String(this.nextId++).padStart(4, '0')}`, events: [] };
    this.contacts.set(stored.id, stored);
    return stored;
  }

  private nowSeconds(): number {
    return Math.floor((this.options.clock?.() ?? Date.now()) / 1000);
  }
}

function toFound({ id, email, externalId, role, createdAt }: FakeContact): FoundContact {
  return { id, email, externalId, role, createdAt };
}
