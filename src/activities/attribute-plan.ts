import { attributesHash, type AttributeDefinition } from '../mapping';
import type { ExistingAttribute } from './intercom-gateway';

/**
 * Intercom's cap on custom data attributes per workspace; archived ones do not count ("There's a limit of 250 custom
 * data attributes per workspace, but you can archive unused attributes to free up space":
 * https://www.intercom.com/help/en/articles/179-send-custom-user-attributes-to-intercom).
 */
export const MAX_CUSTOM_ATTRIBUTES = 250;

export interface AttributePlan {
  /** Attributes to create, in order. */
  missing: AttributeDefinition[];
  /** Why Intercom would refuse the install's attributes; empty when it can go ahead. */
  refusals: string[];
}

/**
 * What the install's attributes need in Intercom, and what Intercom would refuse, decided before any write so that a
 * refusal fails the install at once with a message a person can act on (rather than a 400 retried for ever):
 * - an attribute of the same name with another type (the type cannot change);
 * - an archived attribute of that name: archived attributes keep their names, creating one again is refused;
 * - an attribute whose name differs only in letter case: Intercom compares names case-insensitively;
 * - more new attributes than the 250-attribute cap leaves room for.
 * (POST /data_attributes "You already have '…'": 2.14 reference,
 * https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-attributes/createdataattribute)
 */
export function planAttributes(wanted: AttributeDefinition[], existing: ExistingAttribute[]): AttributePlan {
  const byLowerName = new Map<string, ExistingAttribute[]>();
  for (const attribute of existing) {
    const key = attribute.name.toLowerCase();
    byLowerName.set(key, [...(byLowerName.get(key) ?? []), attribute]);
  }
  const missing: AttributeDefinition[] = [];
  const refusals: string[] = [];
  for (const attribute of wanted) {
    const sameName = byLowerName.get(attribute.name.toLowerCase()) ?? [];
    const exact = sameName.find((candidate) => candidate.name === attribute.name && !candidate.archived);
    const archived = sameName.find((candidate) => candidate.archived);
    const otherCase = sameName.find((candidate) => candidate.name !== attribute.name && !candidate.archived);
    if (exact && exact.type !== attribute.type) {
      refusals.push(`${attribute.name} exists as ${exact.type}, expected ${attribute.type} (types cannot change)`);
    } else if (exact) {
      continue;
    } else if (archived) {
      refusals.push(
        `${attribute.name} is taken by the archived attribute ${archived.name} (archived attributes keep their names): ` +
          'unarchive it in Intercom or install with another attributePrefix',
      );
    } else if (otherCase) {
      refusals.push(
        `${attribute.name} clashes with ${otherCase.name} (Intercom attribute names ignore letter case): ` +
          'install with another attributePrefix',
      );
    } else {
      missing.push(attribute);
    }
  }
  const active = existing.filter((attribute) => attribute.custom && !attribute.archived).length;
  if (refusals.length === 0 && active + missing.length > MAX_CUSTOM_ATTRIBUTES) {
    refusals.push(
      `the install needs ${missing.length} new attributes but the workspace has ${active} of Intercom's ` +
        `${MAX_CUSTOM_ATTRIBUTES} custom attributes: archive ${active + missing.length - MAX_CUSTOM_ATTRIBUTES} unused ones in Intercom`,
    );
  }
  return { missing, refusals };
}

/**
 * Identifies the attributes an install writes by their names and types (descriptions may change freely): recorded
 * once they exist in Intercom, so that a release adding attributes creates them before its first write.
 */
export function attributeSetKey(wanted: ReadonlyArray<AttributeDefinition>): string {
  return attributesHash(wanted.map(({ name, type }) => [name, type]).sort());
}
