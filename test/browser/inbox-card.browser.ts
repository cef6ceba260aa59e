import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { EmulatedCanvas } from '../../emulators/intercom';
import { canvasPreviewHtml, INBOX_PANEL_WIDTH } from '../../emulators/intercom/canvas-preview';
import { arrangeSupportScenario, type SupportScenario } from '../support/support-scenario';
import { startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTEFACTS = path.resolve(__dirname, '..', '..', 'test-artefacts', 'browser');

/** Issue 22: the inbox card as the conversation details panel shows it, for a paying, churned, failing, unknown contact. */
describe('inbox card in a browser', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let scenario: SupportScenario;
  let browser: Browser;

  before(async () => {
    await mkdir(ARTEFACTS, { recursive: true });
    stack = await startTestStack();
    scenario = await arrangeSupportScenario(stack);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  for (const [key, heading] of [
    ['paying', 'Paying Ada'],
    ['churned', 'Churned Bo'],
    ['failing', 'Failing Cy'],
    ['unknown', 'No Stripe customer'],
  ] as const) {
    it(`renders the card of a ${key} contact`, async () => {
      const answer = await stack.intercom.canvasKit.initialize(`${stack.service.apiUrl}/intercom/canvas/initialize`, {
        workspaceId: scenario.target.workspaceId,
        contactId: scenario.contacts.get(key)?.id ?? null,
      });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.problems, []);
      const page = await browser.newPage({ viewport: { width: INBOX_PANEL_WIDTH + 24, height: 600 } });
      await page.setContent(canvasPreviewHtml(answer.canvas as EmulatedCanvas, 'Stripe'));
      await page.getByText(heading, { exact: true }).first().waitFor();
      await page.screenshot({ path: path.join(ARTEFACTS, `inbox-card-${key}.png`), fullPage: true });
      await page.close();
    });
  }
});
