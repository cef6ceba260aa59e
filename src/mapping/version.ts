import { attributesHash } from './hash';

/**
 * The version of what the mapping computes from Stripe data: the attributes written to a contact, which customer a
 * contact shared by several customers shows, what the mirror keeps of a charge. Bump it with any change after which a
 * contact written before it may differ from what the code now computes for the same Stripe data.
 *
 * Why it matters: a contact is written when one of its customers changes (an event, an import page, a resync), so
 * after a deploy that changes the mapping, a contact whose customers see no new event would keep what the older code
 * wrote for ever. Each written contact records the version that computed it (`writtenHash`), and workers rewrite the
 * contacts of other versions (events/mapping-upgrade.ts): at start and at each periodic catch-up.
 *
 * - 1: releases up to v0.14.0 (their hashes carry no version).
 * - 2: STRIPE_collection_paused and STRIPE_collection_resumes_at; paused collection brings no MRR; a quantity-0 item
 *   never names the plan (and ranks a shared contact's customers by its real plan); uncaptured authorizations take
 *   nothing and a partial capture's released rest is no refund (total spent, last charge, the mirror's charges).
 */
export const MAPPING_VERSION = 2;

const VERSION_TAG = `v${MAPPING_VERSION}:`;

/**
 * What a contact records of its last write: the version of the mapping that computed it, then `attributesHash` of
 * what was written (`v2:<sha256>`). Releases before versions wrote the bare hash.
 */
export function writtenHash(written: object): string {
  return `${VERSION_TAG}${attributesHash(written)}`;
}

/** The prefix of hashes written by this version (stale contacts are those whose hash lacks it). */
export const CURRENT_HASH_PREFIX = VERSION_TAG;

/** Whether two recorded hashes stand for the same written content, whichever mapping versions computed them. */
export function sameWrittenContent(recorded: string | null, hash: string): boolean {
  return recorded !== null && contentOf(recorded) === contentOf(hash);
}

function contentOf(hash: string): string {
  return hash.slice(hash.indexOf(':') + 1);
}
