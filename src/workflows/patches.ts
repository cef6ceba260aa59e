import { patched } from '@temporalio/workflow';

/** A bundle's check, and the ids it covers. */
export interface PatchBundle<Id extends string> {
  (id: Id): boolean;
  readonly ids: ReadonlySet<string>;
}

/**
 * Patch ids a workflow's new runs take together, recorded as one marker: `patched(bundleId) || patched(id)`.
 *
 * Every `patched()` id a run takes costs it a marker and an upsert of Temporal's `TemporalChangeVersion` search
 * attribute (sdk-core adds one per patch: a visibility write, and a billed action on Temporal Cloud,
 * https://docs.temporal.io/cloud/actions). A sync run took up to six and every continued run took them again; with
 * the import's three they were a fifth of a small install's history. A run started on this code records the bundle's
 * id alone; a run that recorded the ids one by one (started before the bundle) replays on them, and one that recorded
 * none of them replays on the old branches, as before.
 *
 * A bundle's meaning is fixed like any patch id's: a later patch gets its own id (or a new bundle of its own), never
 * joins a bundle a release has run.
 *
 * `replaces`: an earlier bundle whose ids this one covers too. A run started since records this bundle's marker alone;
 * a run that recorded the earlier bundle (or its ids one by one) replays on it, for its ids; the new ids are off there.
 */
export function patchBundle<Id extends string>(
  bundleId: string,
  ids: readonly Id[],
  replaces?: PatchBundle<string>,
): PatchBundle<Id> {
  const covered = new Set<string>(ids);
  const check = (id: Id): boolean => {
    if (!covered.has(id)) throw new TypeError(`patch ${id} is not in the bundle ${bundleId}`);
    if (patched(bundleId)) return true;
    return replaces?.ids.has(id) ? replaces(id) : patched(id);
  };
  return Object.assign(check, { ids: covered });
}
