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

  constructor(
    readonly id: string,
    readonly name: string,
    readonly region: Region,
    nowMs: number,
  ) {
    this.createdAt = Math.floor(nowMs / 1000);
    this.adminId = String(990_000_000 + Math.floor(Math.random() * 1_000_000));
  }

  nextContactSeq(): number {
    return ++this.contactSeq;
  }

  nextAttributeId(): number {
    return ++this.attributeSeq;
  }
}
