/**
 * `npx tsx scripts/profile-summary.ts FILE.cpuprofile [--top 25]`: where a V8 CPU profile (node --cpu-prof, e.g.
 * `npm run bench -- --cpu-prof-dir DIR`) spent its time: self time by function and by package/area. Plain text.
 */
import { readFileSync } from 'node:fs';
import { parseOptions } from './lib/cli';
import { z } from 'zod';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  process.stderr.write('usage: npx tsx scripts/profile-summary.ts FILE.cpuprofile [--top 25]\n');
  process.exit(2);
}
process.argv.splice(2, 1);
const options = parseOptions(z.object({ top: z.coerce.number().int().min(1).default(25) }));
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
profile.samples.forEach((id, n) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[n] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);

/** node_modules/<package> (scoped too), src/<dir>, node:internal, or the V8 pseudo-frames ((garbage collector)…). */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName || '(anonymous)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1] as string;
  const own = /\/(src|scripts|emulators)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.startsWith('node:') ? 'node:internal' : url;
}

function tally(key: (node: ProfileNode) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (node) sums.set(key(node), (sums.get(key(node)) ?? 0) + ms);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, options.top);
}

const line = ([name, ms]: [string, number]) =>
  `${(ms / 1000).toFixed(2).padStart(8)} s ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${name}`;
console.log(`total sampled: ${(total / 1000).toFixed(2)} s`);
console.log('\nself time by area:');
for (const row of tally(area)) console.log(line(row));
console.log('\nself time by function:');
for (const row of tally(
  (node) =>
    `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '')}:${node.callFrame.lineNumber + 1}`,
))
  console.log(line(row));
