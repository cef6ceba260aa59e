import { patched } from '@temporalio/workflow';

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
 */
export function patchBundle<Id extends string>(bundleId: string, ids: readonly Id[]): (id: Id) => boolean {
  const covered = new Set<string>(ids);
  return (id) => {
    if (!covered.has(id)) throw new TypeError(`patch ${id} is not in the bundle ${bundleId}`);
    return patched(bundleId) || patched(id);
  };
}
