import { z } from 'zod';
import { type ContactJson, contactJson } from './contact-json';
import { createContact } from './contacts';
import { createDataAttribute, dataAttributeJson, updateDataAttribute } from './data-attributes';
import type { Workspace } from './workspace';

/** A stored data event as tests see it. */
export interface EventRecord {
  contact_id: string;
  event_name: string;
  created_at: number;
  metadata: Record<string, unknown>;
  received_at_ms: number;
}

/** Everything a test may assert about one workspace; copies, so callers cannot change the emulator's state. */
export interface WorkspaceSnapshot {
  id: string;
  name: string;
  region: string;
  contacts: ContactJson[];
  events: EventRecord[];
  /** Custom attributes only: the built-in ones never change. */
  dataAttributes: ReturnType<typeof dataAttributeJson>[];
}

export function workspaceSnapshot(workspace: Workspace): WorkspaceSnapshot {
  return {
    id: workspace.id,
    name: workspace.name,
    region: workspace.region,
    contacts: contactsOf(workspace),
    events: eventsOf(workspace),
    dataAttributes: workspace.dataAttributes.map((attribute) => dataAttributeJson(workspace, attribute)),
  };
}

export function contactsOf(workspace: Workspace): ContactJson[] {
  return [...workspace.contacts.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((contact) => contactJson(workspace, contact));
}

export function eventsOf(workspace: Workspace): EventRecord[] {
  return workspace.events.map((event) => ({
    contact_id: event.contactId,
    event_name: event.eventName,
    created_at: event.createdAt,
    metadata: structuredClone(event.metadata),
    received_at_ms: event.receivedAtMs,
  }));
}

export const seedContactSchema = z.strictObject({
  role: z.enum(['user', 'lead']).optional(),
  email: z.string().optional(),
  name: z.string().optional(),
  external_id: z.string().optional(),
  custom_attributes: z.record(z.string(), z.unknown()).optional(),
});

/** A contact that existed before the test: same validation as the API, but uncounted and searchable at once. */
export type SeedContact = z.input<typeof seedContactSchema>;

export function seedContact(workspace: Workspace, seed: SeedContact, nowMs: number): ContactJson {
  const contact = createContact(
    workspace,
    {
      role: seed.role,
      email: seed.email,
      externalId: seed.external_id,
      name: seed.name,
      customAttributes: seed.custom_attributes,
    },
    nowMs,
    0,
  );
  return contactJson(workspace, contact);
}

export const seedDataAttributeSchema = z.strictObject({
  name: z.string(),
  data_type: z.enum(['string', 'integer', 'float', 'boolean', 'date', 'datetime']).default('string'),
  /** An attribute a teammate archived: hidden from lists and writes, but its name stays taken. */
  archived: z.boolean().default(false),
});

/** A contact attribute that existed before the test (validated like `POST /data_attributes`, then archived if asked). */
export type SeedDataAttribute = z.input<typeof seedDataAttributeSchema>;

export function seedDataAttribute(workspace: Workspace, seed: SeedDataAttribute, nowMs: number) {
  const { name, data_type: dataType, archived } = seedDataAttributeSchema.parse(seed);
  const attribute = createDataAttribute(workspace, { name, model: 'contact', dataType }, nowMs);
  if (archived) updateDataAttribute(workspace, attribute.id, { archived }, nowMs);
  return dataAttributeJson(workspace, attribute);
}
