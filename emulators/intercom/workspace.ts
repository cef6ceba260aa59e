export type Role = 'user' | 'lead';
export type DataType = 'string' | 'integer' | 'float' | 'boolean' | 'date' | 'datetime';
export type AttributeModel = 'contact' | 'company';
export type Region = 'US' | 'EU' | 'AU';

export interface StoredContact {
  id: string;
  role: Role;
  email: string | null;
  externalId: string | null;
  name: string | null;
  phone: string | null;
  customAttributes: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** Creation order: search pages walk it so a cursor stays valid while contacts are added. */
  seq: number;
  /** Search lag: before this instant the contact exists (GET, 409) but search does not return it. */
  searchableFromMs: number;
}

export interface StoredDataAttribute {
  id: number;
  name: string;
  model: AttributeModel;
  dataType: DataType;
  description: string | null;
  /** Archived attributes are hidden from lists (unless asked for) and from writes, but keep their names. */
  archived: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StoredEvent {
  contactId: string;
  eventName: string;
  createdAt: number;
  metadata: Record<string, unknown>;
  receivedAtMs: number;
}

/** One Intercom workspace ("app"): everything the API can read or write, in memory. */
export class Workspace {
  readonly contacts = new Map<string, StoredContact>();
  readonly dataAttributes: StoredDataAttribute[] = [];
  readonly events: StoredEvent[] = [];
  /** `contact|name|created_at` of stored events: Intercom accepts a repeat but keeps one. */
  readonly eventKeys = new Set<string>();
  readonly eventNames = new Set<string>();
  readonly adminId: string;
  readonly createdAt: number;
  private contactSeq = 0;
  private attributeSeq = 0;
  /**
   * Contact ids by normalised email and by external id: what a search for equal values and the uniqueness check on
   * writes read, so that they cost the same with 50,000 contacts as with 50 (a scan of every contact made the
   * emulator, not the service, the slowest part of a large benchmark). Kept by `indexContact`.
   */
  private readonly idsByEmail = new Map<string, Set<string>>();
  private readonly idsByExternalId = new Map<string, Set<string>>();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly region: Region,
    nowMs: number,
  ) {
    this.createdAt = Math.floor(nowMs / 1000);
    this.adminId = String(990_000_000 + Math.floor(Math.random() * 1_000_000));
  }

  /** Stores or re-files a contact after its email or external id may have changed (`before`: their old values). */
  indexContact(contact: StoredContact, before?: { email: string | null; externalId: string | null }): void {
    if (before) {
      if (before.email !== null) this.idsByEmail.get(emailKey(before.email))?.delete(contact.id);
      if (before.externalId !== null) this.idsByExternalId.get(before.externalId)?.delete(contact.id);
    }
    this.contacts.set(contact.id, contact);
    if (contact.email !== null) addTo(this.idsByEmail, emailKey(contact.email), contact.id);
    if (contact.externalId !== null) addTo(this.idsByExternalId, contact.externalId, contact.id);
  }

  /**
   * Contacts, oldest first, whose email equals `value` once both are trimmed and lower-cased, or whose external id
   * is `value`.
   */
  contactsWith(field: 'email' | 'external_id', value: string): StoredContact[] {
    const ids = field === 'email' ? this.idsByEmail.get(emailKey(value)) : this.idsByExternalId.get(value);
    return [...(ids ?? [])].flatMap((id) => this.contacts.get(id) ?? []).sort((a, b) => a.seq - b.seq);
  }

  nextContactSeq(): number {
    return ++this.contactSeq;
  }

  nextAttributeId(): number {
    return ++this.attributeSeq;
  }
}

/** Intercom matches emails case-insensitively, ignoring surrounding whitespace. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key) ?? new Set<string>();
  ids.add(id);
  index.set(key, ids);
}
