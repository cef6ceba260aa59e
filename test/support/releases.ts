import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');

/** A released version: its tag, and the commit the tag names (a clone without the tags still has the commit). */
export interface Release {
  tag: string;
  commit: string;
}

/**
 * The releases whose workflow histories test/histories/ holds (newest last). v0.13.0 imports read 16 billing pages at
 * once over all lists; v0.14.0 imports read 12 per list (patch import-parallel-reads-per-list); v0.15.0 sync runs also
 * continue as new daily (sync-run-continues-as-new-daily) and write issue 17's attributes. The next release replays
 * all of them.
 */
export const RELEASES: readonly Release[] = [
  { tag: 'v0.13.0', commit: '7778c4ea2d4458e76c003ee3b969b9a657f9e8fe' },
  { tag: 'v0.14.0', commit: '5534829905b7980be1dfdea04ac51d10a22a2084' },
  { tag: 'v0.15.0', commit: '656be3f3121308ff92c0d665e115ae452764f18e' },
];

export const PREVIOUS_RELEASE = RELEASES.at(-1) as Release;

/**
 * The releases the upgrade test (test/faults/upgrade.fault.ts) starts from, each a case of its own: the previous
 * release, and v0.14.0, the last release before attributes were added (STRIPE_collection_paused …), so that "new
 * attributes appear on contacts the old release wrote" stays tested. `UPGRADE_FROM=v0.15.0` (tags, comma-separated)
 * runs only those.
 */
export function upgradeSources(env: NodeJS.ProcessEnv = process.env): Release[] {
  const tags = env.UPGRADE_FROM?.split(',').map((tag) => tag.trim()) ?? ['v0.14.0', PREVIOUS_RELEASE.tag];
  return [...new Set(tags)].map((tag) => {
    const release = RELEASES.find((known) => known.tag === tag);
    if (!release)
      throw new Error(`UPGRADE_FROM: ${tag} is not one of ${RELEASES.map((known) => known.tag).join(', ')}`);
    return release;
  });
}

/**
 * The release's source tree (`git archive` of its commit) in the temp dir, kept between runs of this checkout, with its
 * node_modules (or its own `npm ci` when its lock file installs other versions).
 * Its `src/worker.ts` then runs that release's workflows and activities.
 */
export async function releaseSource(release: Release): Promise<string> {
  // One per checkout: its node_modules is this checkout's.
  const checkout = createHash('sha256').update(repoRoot).digest('hex').slice(0, 8);
  const dir = path.join(tmpdir(), `sis-release-${release.commit.slice(0, 12)}-${checkout}`);
  if (existsSync(path.join(dir, 'node_modules'))) return dir;
  const sameModules = (await lockedVersions(release.commit)) === (await lockedVersions('HEAD'));
  const partial = `${dir}.${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await run('sh', ['-c', `git archive ${release.commit} | tar -x -C '${partial}'`], { cwd: repoRoot });
  if (!sameModules) await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: partial });
  else await symlink(path.join(repoRoot, 'node_modules'), path.join(partial, 'node_modules'), 'dir');
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}

/** Every package version a commit's package-lock.json installs, as one comparable string. */
async function lockedVersions(commit: string): Promise<string> {
  const { stdout } = await run('git', ['show', `${commit}:package-lock.json`], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lock = JSON.parse(stdout) as { packages: Record<string, { version?: string }> };
  return Object.entries(lock.packages)
    .filter(([name]) => name !== '')
    .map(([name, entry]) => `${name}@${entry.version ?? ''}`)
    .sort()
    .join('\n');
}
