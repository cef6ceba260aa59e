import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install -y chromium); `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where every browser test leaves its screenshots. */
export const ARTEFACTS = path.resolve(__dirname, '..', '..', 'test-artefacts', 'browser');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Removes the screenshots a test wrote before (names it matches), leaving the other browser tests' in place. */
export async function removeArtefacts(matching: RegExp): Promise<void> {
  const names = await readdir(ARTEFACTS).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => matching.test(name)).map((name) => rm(path.join(ARTEFACTS, name))));
}

let axeSource: string | undefined;

/** axe-core on the page as it stands: no serious or critical violation. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, so the page's CSP ('self') does not apply to the checker.
  await page.evaluate(axeSource);
  // Serious and critical violations only, each with the elements it concerns.
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => violation.id + ' (' + violation.impact + '): ' +
        violation.nodes.map((node) => node.target.join(' ')).join(', ')))`)) as string[];
  assert.deepEqual(violations, [], `axe-core on ${name}`);
}
