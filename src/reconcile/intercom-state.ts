import type { IntercomClient } from 'intercom-client';

/** What reconcile reads of a contact. */
export interface ListedContact {
  id: string;
  role: string;
  email: string | null;
  name: string | null;
  created_at: number;
  custom_attributes: Record<string, unknown> | null;
}

const CONTACTS_PER_PAGE = 150;
const EVENTS_PER_PAGE = 100;

/** Every contact of the workspace (`GET /contacts`, paged by cursor). */
export async function listContacts(intercom: IntercomClient): Promise<ListedContact[]> {
  const contacts: ListedContact[] = [];
  const pages = await intercom.contacts.list({ per_page: CONTACTS_PER_PAGE });
  for await (const contact of pages) {
    contacts.push({
      id: contact.id,
      role: contact.role,
      email: contact.email ?? null,
      name: contact.name ?? null,
      created_at: contact.created_at,
      custom_attributes: (contact.custom_attributes as Record<string, unknown> | undefined) ?? null,
    });
  }
  return contacts;
}

/**
 * A contact's data events (`GET /events?type=user&intercom_user_id=…`, Intercom 2.14), as counts per
 * `name|created_at`, following `pages.next` (it pages with `before`).
 */
export async function listContactEvents(intercom: IntercomClient, contactId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let before: string | undefined;
  do {
    const page = (await intercom.events.list(
      { type: 'user', intercom_user_id: contactId, per_page: EVENTS_PER_PAGE },
      before ? { queryParams: { before } } : undefined,
    )) as unknown as { events?: { event_name: string; created_at: number }[]; pages?: { next?: string } };
    for (const event of page.events ?? []) {
      const key = `${event.event_name}|${event.created_at}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    before = page.pages?.next
      ? (new URL(page.pages.next, 'https://api.intercom.io').searchParams.get('before') ?? undefined)
      : undefined;
  } while (before);
  return counts;
}
