import { contactJson } from './contact-json';
import { invalidParameter } from './errors';
import { emailKey, type StoredContact, type Workspace } from './workspace';

/** Intercom's documented search limits. */
const MAX_FILTERS_PER_GROUP = 15;
const MAX_NESTING = 2;
const MAX_PER_PAGE = 150;
const DEFAULT_PER_PAGE = 50;

type Predicate = (contact: StoredContact) => boolean;
type Scalar = string | number | boolean | null;

export interface SearchBody {
  query: unknown;
  pagination?: { per_page?: number; starting_after?: string };
}

/** `POST /contacts/search`: the query-language subset the sync code needs, with Intercom's limits and search lag. */
export function searchContacts(workspace: Workspace, body: SearchBody, nowMs: number) {
  const matches = compile(body.query, 0);
  const candidates = indexedCandidates(workspace, body.query) ?? workspace.contacts.values();
  const visible = [...candidates].filter((contact) => contact.searchableFromMs <= nowMs && matches(contact));
  return contactPage(workspace, visible, body.pagination ?? {});
}

/**
 * The only contacts a query for equal emails or external ids can match (one `=` filter, or an OR group of them), from
 * the workspace's index; undefined for any other query, which then looks at every contact. The query still decides.
 */
function indexedCandidates(workspace: Workspace, query: unknown): Set<StoredContact> | undefined {
  const filters = isRecord(query) && query.operator === 'OR' && Array.isArray(query.value) ? query.value : [query];
  const lookups: Array<{ field: 'email' | 'external_id'; value: string }> = [];
  for (const filter of filters) {
    if (!isRecord(filter) || filter.operator !== '=' || typeof filter.value !== 'string') return undefined;
    if (filter.field !== 'email' && filter.field !== 'external_id') return undefined;
    lookups.push({ field: filter.field, value: filter.value });
  }
  return new Set(lookups.flatMap(({ field, value }) => workspace.contactsWith(field, value)));
}

/**
 * `GET /contacts`: every contact, users and leads, 50 per page by default
 * (https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/contacts/listcontacts). Its docs say
 * nothing of search lag, so a new contact is listed at once.
 */
export function listContacts(workspace: Workspace, pagination: SearchBody['pagination']) {
  return contactPage(workspace, [...workspace.contacts.values()], pagination ?? {});
}

/** One page of `contacts` in creation order, with the cursor of the next (search and list share it). */
function contactPage(
  workspace: Workspace,
  contacts: StoredContact[],
  pagination: NonNullable<SearchBody['pagination']>,
) {
  const perPage = pagination.per_page ?? DEFAULT_PER_PAGE;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw invalidParameter(`per_page must be between 1 and ${MAX_PER_PAGE}`, 'per_page');
  }
  const cursor = pagination.starting_after === undefined ? undefined : decodeCursor(pagination.starting_after);
  const visible = [...contacts].sort((a, b) => a.seq - b.seq);
  const remaining = cursor === undefined ? visible : visible.filter((contact) => contact.seq > cursor.seq);
  const data = remaining.slice(0, perPage);
  const page = (cursor?.page ?? 0) + 1;
  const last = data.at(-1);
  const pages = {
    type: 'pages' as const,
    page,
    per_page: perPage,
    total_pages: Math.ceil(visible.length / perPage),
    ...(remaining.length > perPage && last
      ? { next: { page: page + 1, starting_after: encodeCursor({ seq: last.seq, page }) } }
      : {}),
  };
  return {
    type: 'list' as const,
    data: data.map((contact) => contactJson(workspace, contact)),
    total_count: visible.length,
    pages,
  };
}

function compile(query: unknown, depth: number): Predicate {
  if (!isRecord(query)) throw invalidParameter('query must be an object', 'query');
  if ('field' in query) return compileFilter(query);
  const { operator, value } = query;
  if ((operator !== 'AND' && operator !== 'OR') || !Array.isArray(value)) {
    throw invalidParameter('A query is either {field, operator, value} or {operator: AND|OR, value: [...]}', 'query');
  }
  if (depth + 1 > MAX_NESTING) {
    throw invalidParameter(`Search queries allow at most ${MAX_NESTING} levels of nested AND/OR groups`, 'query');
  }
  if (value.length === 0 || value.length > MAX_FILTERS_PER_GROUP) {
    throw invalidParameter(`Each AND/OR group must have between 1 and ${MAX_FILTERS_PER_GROUP} filters`, 'query');
  }
  // The 2.14 reference defines a group's `value` as oneOf "array of multiple_filter_search_request" or "array of
  // single_filter_search_request" (components.schemas.multiple_filter_search_request;
  // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/contacts/searchcontacts, and
  // https://github.com/intercom/Intercom-OpenAPI/pull/197): a filter beside a nested group is no shape it accepts.
  const filters = value.filter((part) => isRecord(part) && 'field' in part).length;
  if (filters > 0 && filters < value.length) {
    throw invalidParameter(
      `An ${operator} group's value must be either all filters or all nested groups, not a mix`,
      'query',
    );
  }
  const parts = value.map((part) => compile(part, depth + 1));
  return operator === 'AND'
    ? (contact) => parts.every((part) => part(contact))
    : (contact) => parts.some((part) => part(contact));
}

function compileFilter(filter: Record<string, unknown>): Predicate {
  const { field, operator, value } = filter;
  if (typeof field !== 'string') throw invalidParameter('field must be a string', 'field');
  const read = fieldReader(field);
  const normalise = field === 'email' ? (text: string) => emailKey(text) : (text: string) => text;
  const equals = (contact: StoredContact, wanted: Scalar): boolean => {
    const stored = read(contact);
    if (wanted === null) return stored == null;
    return stored != null && normalise(String(stored)) === normalise(String(wanted));
  };
  switch (operator) {
    case '=':
    case '!=': {
      const wanted = scalar(value);
      return operator === '=' ? (contact) => equals(contact, wanted) : (contact) => !equals(contact, wanted);
    }
    case 'IN':
    case 'NIN': {
      const wanted = scalarList(value);
      const within = (contact: StoredContact) => wanted.some((item) => equals(contact, item));
      return operator === 'IN' ? within : (contact) => !within(contact);
    }
    default:
      throw invalidParameter(`Operator ${JSON.stringify(operator)} is not supported by the emulator`, 'operator');
  }
}

function fieldReader(field: string): (contact: StoredContact) => unknown {
  if (field.startsWith('custom_attributes.')) {
    const name = field.slice('custom_attributes.'.length);
    return (contact) => contact.customAttributes[name];
  }
  switch (field) {
    case 'id':
      return (contact) => contact.id;
    case 'email':
      return (contact) => contact.email;
    case 'external_id':
      return (contact) => contact.externalId;
    case 'role':
      return (contact) => contact.role;
    case 'name':
      return (contact) => contact.name;
    case 'phone':
      return (contact) => contact.phone;
    default:
      throw invalidParameter(`Searching by '${field}' is not supported by the emulator`, 'field');
  }
}

function scalar(value: unknown): Scalar {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as Scalar;
  throw invalidParameter('value must be a string, number, boolean or null for = and !=', 'value');
}

function scalarList(value: unknown): Scalar[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidParameter('IN and NIN need a non-empty array', 'value');
  // Intercom's cap on IN values is undocumented; holding it to the group limit keeps callers on the safe side.
  if (value.length > MAX_FILTERS_PER_GROUP) {
    throw invalidParameter(`IN and NIN accept at most ${MAX_FILTERS_PER_GROUP} values in the emulator`, 'value');
  }
  return value.map(scalar);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Cursor {
  seq: number;
  page: number;
}

/** Opaque to callers like Intercom's: the last returned contact's position and the page it ended. */
function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.seq, cursor.page])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every(Number.isSafeInteger)) {
      return { seq: parsed[0] as number, page: parsed[1] as number };
    }
  } catch {
    // Falls through to the same answer as a well-formed but foreign cursor.
  }
  throw invalidParameter('starting_after is not a cursor this search returned', 'starting_after');
}
