import type { Queryable } from '../db/queryable';
import { HttpError } from '../shared/http-error';
import { attributeDefinitions } from '../mapping';

interface Neighbour {
  id: string;
  stripe_account_id: string;
  attribute_prefix: string;
  metadata_attributes: string[];
}

/** Lower-cased attribute names of a prefix and metadata keys: Intercom compares attribute names case-insensitively. */
const namesOf = (prefix: string, metadataKeys: string[]): Set<string> =>
  new Set(attributeDefinitions(prefix, metadataKeys).map((definition) => definition.name.toLowerCase()));

const collides = (names: Set<string>, other: Neighbour): boolean =>
  [...namesOf(other.attribute_prefix, other.metadata_attributes)].some((name) => names.has(name));

/**
 * Several Stripe accounts in one Intercom workspace (issue 22): each install writes its own attributes, so a second
 * account whose attribute names would be another install's (same prefix, or one prefix running into the other's
 * names, compared case-insensitively as Intercom does) is refused, offering the first free `<prefix>N_`. Installing
 * the same account and mode again (a credential rotation) is not a collision.
 */
export async function refusePrefixCollision(
  db: Queryable,
  install: { workspaceId: string; stripeAccountId: string; livemode: boolean; prefix: string; metadataKeys: string[] },
): Promise<void> {
  const { rows } = await db.query<Neighbour>(
    `SELECT id, stripe_account_id, attribute_prefix, metadata_attributes FROM installs
      WHERE intercom_workspace_id = $1 AND status <> 'disabled' AND NOT (stripe_account_id = $2 AND livemode = $3)`,
    [install.workspaceId, install.stripeAccountId, install.livemode],
  );
  const taken = rows.find((other) => collides(namesOf(install.prefix, install.metadataKeys), other));
  if (!taken) return;
  const stem = install.prefix.replace(/_+$/, '');
  let free = '';
  for (let n = 2; free === ''; n += 1) {
    const candidate = `${stem}${n}_`;
    if (!rows.some((other) => collides(namesOf(candidate, install.metadataKeys), other))) free = candidate;
  }
  throw new HttpError(
    409,
    'attribute_prefix_taken',
    `attribute prefix ${install.prefix} would write the attributes of Stripe account ${taken.stripe_account_id} ` +
      `(install ${taken.id}) in this Intercom workspace; install with "attributePrefix": "${free}" (free)`,
    'attributePrefix',
  );
}
