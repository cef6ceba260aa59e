import { ApiError, invalidParameter, userNotFound } from './errors';
import { validateCustomAttributes } from './custom-attributes';
import { newContactId } from './ids';
import type { Role, StoredContact, Workspace } from './workspace';

/** Deliberately simple: whitespace or a missing `@`/dot is what real bad Stripe emails look like. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A contact write as the API receives it; absent fields are left alone on update. */
export interface ContactInput {
  role?: string;
  email?: string | null;
  externalId?: string | null;
  name?: string | null;
  phone?: string | null;
  customAttributes?: Record<string, unknown>;
}

export function createContact(
  workspace: Workspace,
  input: ContactInput,
  nowMs: number,
  searchLagMs: number,
): StoredContact {
  const role = parseRole(input.role ?? 'user');
  const email = validEmail(input.email ?? null);
  const externalId = input.externalId ?? null;
  if (role === 'user' && email === null && externalId === null) {
    throw invalidParameter('A user must have an email or an external_id');
  }
  if (role === 'user') assertNoConflict(workspace, email, externalId, undefined);
  const customAttributes = input.customAttributes ?? {};
  validateCustomAttributes(workspace, customAttributes);
  const seconds = Math.floor(nowMs / 1000);
  const contact: StoredContact = {
    id: newContactId(nowMs),
    role,
    email,
    externalId,
    name: input.name ?? null,
    phone: input.phone ?? null,
    customAttributes: { ...customAttributes },
    createdAt: seconds,
    updatedAt: seconds,
    seq: workspace.nextContactSeq(),
    searchableFromMs: nowMs + searchLagMs,
  };
  workspace.indexContact(contact);
  return contact;
}

export function updateContact(workspace: Workspace, id: string, input: ContactInput, nowMs: number): StoredContact {
  const contact = findContact(workspace, id);
  // A lead becomes a user by updating its role; never the other way ("role: Accepted values are user or lead (only if
  // lead already)", https://developers.intercom.com/docs/references/2.1/rest-api/contacts/update-contact; `role` is
  // in the 2.14 update_contact_request). The converted user keeps its id, and must be identifiable like any user.
  const role = input.role === undefined ? contact.role : parseRole(input.role);
  if (contact.role === 'user' && role === 'lead') {
    throw new ApiError(400, 'client_error', "Contact with user role can't be converted to a lead");
  }
  const email = input.email === undefined ? contact.email : validEmail(input.email);
  const externalId = input.externalId === undefined ? contact.externalId : input.externalId;
  if (role === 'user' && email === null && externalId === null) {
    throw invalidParameter('A user must have an email or an external_id');
  }
  if (role === 'user') assertNoConflict(workspace, email, externalId, contact.id);
  const customAttributes = input.customAttributes ?? {};
  validateCustomAttributes(workspace, customAttributes);
  // Validation is complete before anything changes: a rejected write leaves the contact as it was.
  const before = { email: contact.email, externalId: contact.externalId };
  contact.role = role;
  contact.email = email;
  contact.externalId = externalId;
  workspace.indexContact(contact, before);
  if (input.name !== undefined) contact.name = input.name;
  if (input.phone !== undefined) contact.phone = input.phone;
  Object.assign(contact.customAttributes, customAttributes);
  contact.updatedAt = Math.floor(nowMs / 1000);
  return contact;
}

export function findContact(workspace: Workspace, id: string): StoredContact {
  const contact = workspace.contacts.get(id);
  if (!contact) throw userNotFound();
  return contact;
}

function parseRole(role: string): Role {
  if (role === 'user' || role === 'lead') return role;
  throw invalidParameter(`Role '${role}' is invalid; expected user or lead`, 'role');
}

function validEmail(email: string | null): string | null {
  if (email === null) return null;
  if (!EMAIL_PATTERN.test(email)) throw invalidParameter(`'${email}' is not a valid email address`, 'email');
  return email;
}

/** Users are unique by email (case-insensitively) and by external_id; leads may share an email. */
function assertNoConflict(
  workspace: Workspace,
  email: string | null,
  externalId: string | null,
  selfId: string | undefined,
): void {
  const candidates = [
    ...(email === null ? [] : workspace.contactsWith('email', email)),
    ...(externalId === null ? [] : workspace.contactsWith('external_id', externalId)),
  ].sort((a, b) => a.seq - b.seq);
  const other = candidates.find((contact) => contact.id !== selfId && contact.role === 'user');
  if (other) {
    throw new ApiError(409, 'conflict', `A contact matching those details already exists with id=${other.id}`);
  }
}
