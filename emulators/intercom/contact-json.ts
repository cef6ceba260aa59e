import type { StoredContact, Workspace } from './workspace';

/** Fields Intercom always includes but the emulator never sets: present as null so the shape matches. */
const ALWAYS_NULL = [
  'avatar',
  'owner_id',
  'signed_up_at',
  'last_seen_at',
  'last_replied_at',
  'last_contacted_at',
  'last_email_opened_at',
  'last_email_clicked_at',
  'language_override',
  'browser',
  'browser_version',
  'browser_language',
  'os',
  'android_app_name',
  'android_app_version',
  'android_device',
  'android_os_version',
  'android_sdk_version',
  'android_last_seen_at',
  'ios_app_name',
  'ios_app_version',
  'ios_device',
  'ios_os_version',
  'ios_sdk_version',
  'ios_last_seen_at',
  'utm_campaign',
  'utm_content',
  'utm_medium',
  'utm_source',
  'utm_term',
  'referrer',
  'enabled_push_messaging',
] as const;

function emptyList(url: string) {
  return { type: 'list', data: [], url, total_count: 0, has_more: false };
}

/** A contact as Intercom 2.14 returns it from create, find, update and search. */
export function contactJson(workspace: Workspace, contact: StoredContact) {
  const base = `/contacts/${contact.id}`;
  return {
    type: 'contact' as const,
    id: contact.id,
    workspace_id: workspace.id,
    external_id: contact.externalId,
    role: contact.role,
    email: contact.email,
    email_domain: contact.email?.split('@')[1] ?? null,
    phone: contact.phone,
    name: contact.name,
    social_profiles: { type: 'list', data: [] },
    has_hard_bounced: false,
    marked_email_as_spam: false,
    unsubscribed_from_emails: false,
    created_at: contact.createdAt,
    updated_at: contact.updatedAt,
    location: { type: 'location', country: null, region: null, city: null, country_code: null, continent_code: null },
    custom_attributes: { ...contact.customAttributes },
    tags: emptyList(`${base}/tags`),
    notes: emptyList(`${base}/notes`),
    companies: emptyList(`${base}/companies`),
    opted_out_subscription_types: emptyList(`${base}/subscriptions`),
    opted_in_subscription_types: emptyList(`${base}/subscriptions`),
    ...Object.fromEntries(ALWAYS_NULL.map((field) => [field, null])),
  };
}

export type ContactJson = ReturnType<typeof contactJson>;
