import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { seedCustomers } from '../../emulators/stripe';
import { enableOAuth } from '../support/oauth-flow';
import { startTestStack, type TestStack } from '../support/stack';

/** Debian's Chromium (apt-get install -y chromium); `.ci/run` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTEFACTS = path.resolve(__dirname, '..', '..', 'test-artefacts', 'browser');
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

describe('install flow in a browser', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let browser: Browser;
  let workspaceId: string;

  before(async () => {
    await mkdir(ARTEFACTS, { recursive: true });
    stack = await startTestStack({ config: { ALLOW_TEST_MODE: false } });
    enableOAuth(stack);
    workspaceId = stack.intercom.createWorkspace({ name: 'Acme support' }).workspaceId;
    const seeded = seedCustomers(stack.stripe.admin, { customers: 120, seed: 8, withoutEmail: 3 });
    // Two existing Intercom users, and one customer whose email Intercom refuses: the failures list has an entry.
    for (const customer of seeded.filter((c) => c.email && !c.deleted).slice(0, 2)) {
      stack.intercom.createContact(workspaceId, { email: customer.email ?? '', name: 'Existing user' });
    }
    stack.stripe.admin.createCustomer({ email: 'grace@localhost', name: 'Grace (bad email)' });
    browser = await chromium.launch({
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
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Screenshots of the step at both widths (full page), named in order. */
  async function snap(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTEFACTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize(NARROW);
    await page.screenshot({ path: path.join(ARTEFACTS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize(WIDE);
  }

  /** App store → Install now → Intercom consent → Stripe consent → preview. */
  async function installUntilPreview(page: Page, prefix: string): Promise<void> {
    await page.goto(`${stack.intercom.url}/appstore`);
    await snap(page, `${prefix}01-intercom-app-store`);
    await page.getByRole('button', { name: 'Install now' }).click();
    await page.getByRole('button', { name: 'Authorize access' }).waitFor();
    await page.selectOption('#workspace', workspaceId);
    await snap(page, `${prefix}02-intercom-consent`);
    await page.getByRole('button', { name: 'Authorize access' }).click();
    await page.getByRole('heading', { name: 'Connect your Stripe account' }).waitFor();
    await snap(page, `${prefix}03-connect-stripe`);
    await page.getByRole('link', { name: 'Sign in to Stripe' }).click();
    await page.getByRole('button', { name: 'Install app' }).waitFor();
    await snap(page, `${prefix}04-stripe-consent`);
    await page.getByRole('button', { name: 'Install app' }).click();
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
  }

  async function waitForImportComplete(page: Page): Promise<void> {
    // The bar and its figure are updated by the page's own script (polling status.json), not by reloading.
    await page.locator('[data-bind="percent"]').filter({ hasText: /^100$/ }).waitFor({ timeout: 120_000 });
    assert.equal(await page.locator('#import-progress').getAttribute('value'), '100');
    await page.locator('[data-bind="health.label"]', { hasText: 'Healthy' }).waitFor();
  }

  it('installs from the Intercom app store, previews, imports, lists failures, resyncs and disconnects', async () => {
    const context = await browser.newContext({ viewport: WIDE });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    await installUntilPreview(page, '');

    await page.locator('#preview-counts').waitFor({ timeout: 60_000 });
    // 120 seeded + Grace; 3 without an email; the 2 existing users match.
    assert.equal(await page.locator('[data-count="noEmail"]').textContent(), '3');
    assert.equal(await page.locator('[data-count="matched"]').textContent(), '2');
    assert.equal(await page.locator('details.sample').count(), 5);
    await page.locator('details.sample summary').first().click();
    await snap(page, '05-preview');

    // Slow Intercom down so the import is still running when the status page first shows.
    stack.intercom.setFaults({ latencyMs: 300 });
    const polled = page.waitForResponse((response) => response.url().endsWith('/status.json'));
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.locator('#live').waitFor();
    const view = (await (await polled).json()) as { percent: number };
    await page
      .locator('[data-bind="percent"]')
      .filter({ hasText: String(view.percent) })
      .waitFor();
    await snap(page, '06-status-importing');
    stack.intercom.setFaults({ latencyMs: 0 });
    await waitForImportComplete(page);
    await snap(page, '06-status-complete');

    await page.locator('#failures-link').click();
    await page.locator('#failures').waitFor();
    assert.match((await page.locator('#failures').textContent()) ?? '', /not a valid email/);
    await snap(page, '07-failures');
    await page.getByRole('link', { name: '← Back to status' }).click();

    await page.locator('#resync').click();
    await page.locator('#live').waitFor();
    await waitForImportComplete(page);
    await snap(page, '08-after-resync');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#disconnect').click();
    await page.locator('[data-bind="health.label"]', { hasText: 'Disconnected' }).waitFor();
    assert.equal(await page.locator('#disconnect').count(), 0);
    await snap(page, '09-disconnected');
    assert.deepEqual(pageErrors, [], 'no script errors or CSP violations');
    await context.close();
  });

  it('a second install is uninstalled from the Stripe dashboard; the status page shows it', async () => {
    const context = await browser.newContext({ viewport: WIDE });
    const page = await context.newPage();
    await installUntilPreview(page, 'second-');
    await page.locator('#preview-counts').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Start import' }).click();
    await waitForImportComplete(page);
    const statusUrl = page.url();

    await page.goto(`${stack.stripe.url}/dashboard/apps`);
    await snap(page, 'second-10-stripe-installed-apps');
    await page.getByRole('button', { name: 'Uninstall app' }).click();
    await page.getByText('No apps installed.').waitFor();

    await page.goto(statusUrl);
    await page.locator('[data-bind="health.label"]', { hasText: 'Disconnected' }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator('[data-bind="health.detail"]').textContent()) ?? '', /uninstalled from Stripe/);
    await snap(page, 'second-11-uninstalled-from-stripe');
    await context.close();
  });
});
