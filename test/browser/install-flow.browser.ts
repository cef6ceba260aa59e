import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { seedCustomers } from '../../emulators/stripe';
import { secretBoxFor } from '../../src/crypto/secret-box';
import { ARTEFACTS, assertAccessible, launchChromium, removeArtefacts } from '../support/browser';
import { enableOAuth } from '../support/oauth-flow';
import { eventually, startTestStack, type TestStack } from '../support/stack';

/** Every state's screenshots (under ARTEFACTS), at both widths, named in the order the walk reaches them. */
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

interface AlertMessage {
  text: string;
  kind: string;
}

/** A local Slack-compatible webhook: records what it is sent. */
async function startAlertReceiver(): Promise<{ url: string; messages: AlertMessage[]; server: Server }> {
  const messages: AlertMessage[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      messages.push(JSON.parse(body) as AlertMessage);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts`, messages, server };
}

describe('install flow in a browser', function () {
  this.timeout(600_000);
  let stack: TestStack;
  let browser: Browser;
  let workspaceId: string;
  let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
  let firstCustomerId: string;

  before(async () => {
    // This walk's own screenshots (numbered, or a failure's): the other browser tests' stay.
    await removeArtefacts(/^(\d|FAILED-)/);
    await mkdir(ARTEFACTS, { recursive: true });
    process.stdout.write(`      screenshots: ${ARTEFACTS}\n`);
    receiver = await startAlertReceiver();
    stack = await startTestStack({
      config: {
        ALLOW_TEST_MODE: false,
        ALERT_WEBHOOK_ALLOW_PRIVATE: true,
        ALERT_CHECK_SECONDS: 1,
        ALERT_AFTER_MINUTES: 1,
      },
    });
    enableOAuth(stack);
    workspaceId = stack.intercom.createWorkspace({ name: 'Acme support' }).workspaceId;
    const seeded = seedCustomers(stack.stripe.admin, { customers: 120, seed: 8, withoutEmail: 3 });
    // Two existing Intercom users, and one customer whose email Intercom refuses: the failures list has an entry.
    const withEmail = seeded.filter((c) => c.email && !c.deleted);
    for (const customer of withEmail.slice(0, 2)) {
      stack.intercom.createContact(workspaceId, { email: customer.email ?? '', name: 'Existing user' });
    }
    firstCustomerId = (withEmail[5] as { id: string }).id;
    stack.stripe.admin.createCustomer({ email: 'grace@localhost', name: 'Grace (bad email)' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  /** The page of the test running: a failing test leaves a screenshot of where it stood. */
  let current: Page | undefined;
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && current && !current.isClosed()) {
      const name = `FAILED-${(this.currentTest.title ?? 'test').slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}.png`;
      await current.screenshot({ path: path.join(ARTEFACTS, name), fullPage: true }).catch(() => undefined);
      const html = await current.content().catch(() => '');
      await writeFile(path.join(ARTEFACTS, name.replace(/\.png$/, '.html')), html);
    }
    current = undefined;
  });

  /** Screenshots of the state at both widths (full page), named in order; axe-core checks it at both widths too. */
  async function snap(page: Page, name: string, options: { axe?: boolean } = {}): Promise<void> {
    if (options.axe !== false) await assertAccessible(page, `${name} at 1280 px`);
    await page.screenshot({ path: path.join(ARTEFACTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize(NARROW);
    if (options.axe !== false) await assertAccessible(page, `${name} at 390 px`);
    // Nothing wider than the phone: long ids and emails wrap instead of pushing the page sideways.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than a 390 px phone`);
    await page.screenshot({ path: path.join(ARTEFACTS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize(WIDE);
  }

  const text = async (page: Page, selector: string): Promise<string> =>
    ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  async function waitForRunComplete(page: Page, kind: 'Import' | 'Resync'): Promise<void> {
    // The bar and its figure are updated by the page's own script (polling status.json), not by reloading.
    await page
      .locator('#percent')
      .filter({ hasText: /^100 %$/ })
      .waitFor({ timeout: 180_000 });
    assert.equal(await page.locator('#import-progress').getAttribute('value'), '100');
    await page.locator('#progress-text', { hasText: `${kind} complete` }).waitFor();
    await page.locator('[data-bind="health.label"]', { hasText: /^Healthy$|^Live, with failures$/ }).waitFor();
  }

  /**
   * Clicks a form's button and checks the message of the status page it lands on, as the server sent it (the page's
   * own reload once a run ends drops the message, and a run can end within a second).
   */
  async function submitExpecting(page: Page, button: string, message: string): Promise<void> {
    const [landed] = await Promise.all([
      page.waitForResponse((response) => /[?&]done=/.test(response.url()) && response.request().method() === 'GET'),
      page.getByRole('button', { name: button }).click(),
    ]);
    const body = await landed.text();
    assert.ok(body.includes(message), `"${message}" on the page after ${button}`);
    await page.locator('#live').waitFor();
  }

  async function installTokenOf(installId: string): Promise<string> {
    const row = await stack.db.pool.query(`SELECT intercom_token_enc FROM installs WHERE id = $1`, [installId]);
    return secretBoxFor(stack.config).open(row.rows[0].intercom_token_enc as string);
  }

  it('installs, survives trouble and mistakes, and always shows a way forward', async () => {
    const context = await browser.newContext({ viewport: WIDE });
    const page = await context.newPage();
    current = page;
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
        pageErrors.push(`${message.text()} (${message.location().url})`);
      }
    });

    // App store → Install now → Intercom consent → Connect Stripe.
    await page.goto(`${stack.intercom.url}/appstore`);
    await page.getByRole('button', { name: 'Install now' }).click();
    await page.getByRole('button', { name: 'Authorize access' }).waitFor();
    await page.selectOption('#workspace', workspaceId);
    await page.getByRole('button', { name: 'Authorize access' }).click();
    await page.getByRole('heading', { name: 'Connect your Stripe account' }).waitFor();
    assert.equal(
      await page
        .locator('.steps [aria-current="step"]')
        .textContent()
        .then((t) => t?.trim()),
      'Connect Stripe (current step)',
    );
    assert.equal(await page.locator('#stripe-key').getAttribute('aria-describedby'), 'stripe-key-hint');
    assert.match(await text(page, '#stripe-key-hint'), /Webhook Endpoints: Write/);
    await snap(page, '01-connect-stripe');

    // Pasted keys that cannot work: the error beside the field, in words, the value kept.
    const pasteKey = async (value: string) => {
      await page.fill('#stripe-key', value);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.locator('#stripe-key-error').waitFor();
      assert.equal(await page.inputValue('#stripe-key'), value, 'the pasted value is kept');
      assert.equal(await page.locator('#stripe-key').getAttribute('aria-invalid'), 'true');
      return text(page, '#stripe-key-error');
    };
    assert.match(await pasteKey('hello there'), /not a Stripe secret or restricted key/);
    await snap(page, '02-key-garbage');
    assert.match(await pasteKey(stack.stripe.keys.test), /test-mode key .*live restricted key \(rk_live_…\)/);
    await snap(page, '02-key-test-mode');
    assert.match(
      await pasteKey(`rk_live_${'x'.repeat(24)}`),
      /Stripe rejected the API key \(HTTP 401\)\. It is mistyped, was rolled or deleted/,
    );
    assert.equal(
      await page.getByRole('link', { name: "Stripe's API keys page" }).getAttribute('href'),
      'https://dashboard.stripe.com/apikeys',
    );
    await snap(page, '02-key-wrong');

    // The preview while Intercom is down: a failure in words, with Retry, which works once Intercom is back.
    stack.intercom.setFaults({ failNext: { count: 1_000_000, status: 503, endpoint: 'POST /contacts/search' } });
    await page.getByRole('link', { name: 'Sign in to Stripe' }).click();
    await page.getByRole('button', { name: 'Install app' }).click();
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    await page.locator('#preview-failed').waitFor({ timeout: 120_000 });
    const failure = await text(page, '#preview-failed');
    assert.match(failure, /Intercom did not answer \(503\)/);
    assert.doesNotMatch(failure, /[{}]/, 'no raw response body');
    await snap(page, '03-preview-failed');
    stack.intercom.setFaults({ failNext: { count: 0 } });
    await page.getByRole('button', { name: 'Retry the preview' }).click();
    await page.locator('#preview-counts').waitFor({ timeout: 120_000 });
    // 120 seeded + Grace; 3 without an email; the 2 existing users match.
    assert.equal(await page.locator('[data-count="noEmail"]').textContent(), '3');
    assert.equal(await page.locator('[data-count="matched"]').textContent(), '2');
    assert.match(await text(page, '#preview-computed'), /^Counted \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    const customers = (await page.locator('[data-count="customers"]').textContent()) ?? '';
    assert.equal(await page.locator('details.sample').count(), 5);
    await page.locator('details.sample summary').first().click();
    await snap(page, '04-preview');

    // Start import, with Intercom slowed so the status page first shows it running.
    stack.intercom.setFaults({ latencyMs: 1500 });
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.locator('#live').waitFor();
    const statusUrl = page.url();
    // What the page says while the import runs (it updates itself every second), until it completes.
    const said = new Set<string>();
    for (let importing = true; importing;) {
      const now = await text(page, '#progress-text');
      said.add(now);
      importing = !now.startsWith('Import complete');
      if (!now.includes(`of about ${customers} customers written to Intercom`)) {
        await page.waitForTimeout(200);
        continue;
      }
      assert.equal(await text(page, '#phases [aria-current="step"]'), 'Writing customers to Intercom (in progress)');
      assert.match(await text(page, '#phases .phase-done'), /Reading Stripe's billing lists \(done\)/);
      assert.equal(await page.locator('#announce').getAttribute('aria-live'), 'polite');
      assert.match(await text(page, '#announce'), /^Importing\. Writing customers to Intercom/);
      assert.equal(await page.locator('a', { hasText: 'Temporal' }).count(), 0, 'no operator links for admins');
      await snap(page, '05-status-importing');
      stack.intercom.setFaults({ latencyMs: 0 });
      break;
    }
    assert.ok(
      [...said].some((line) => line.includes(`of about ${customers} customers written to Intercom`)),
      `the page said, while importing: ${[...said].join(' | ')}`,
    );
    await waitForRunComplete(page, 'Import');
    assert.match(
      await text(page, '#breakdown'),
      /^[\d,]+ customers: \d+ on an Intercom user \(\d+ users created, 2 existing users matched; .*3 without an email \(skipped\), 1 failed\.$/,
    );
    assert.equal(await text(page, '[data-bind="health.label"]'), 'Live, with failures');
    assert.match(await text(page, '#notices'), /1 customer could not be written to Intercom/);
    await snap(page, '06-status-complete');

    // Back after Start import lands on the status page, not on a preview that can no longer start anything.
    await page.goBack();
    await page.locator('#live').waitFor();
    assert.equal(page.url(), statusUrl);
    assert.equal(await page.locator('#start-import').count(), 0);

    // Failures, grouped by reason with the fix, and as CSV.
    await page.locator('#failures-link').click();
    await page.locator('#failure-groups').waitFor();
    assert.match(
      await text(page, '#failure-groups'),
      /Intercom refuses the email address 1 Correct the customer's email in Stripe/,
    );
    const csv = await context.request.get(`${statusUrl}/failures.csv`);
    assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
    assert.match(
      await csv.text(),
      /^"stripe_customer","reason",.*\r\n"cus_[^"]+","Intercom refuses the email address","'grace@localhost' is not a valid email address"/s,
    );
    await snap(page, '07-failures');
    await page.getByRole('link', { name: '← Back to status' }).click();

    // Alerts: a local Slack-compatible receiver, saved and tested from the page.
    await page.fill('#alert-url', receiver.url);
    await submitExpecting(page, 'Save alert webhook', 'Alert webhook saved');
    await submitExpecting(page, 'Send a test alert', 'Test alert delivered');
    assert.match(await text(page, '#alert-last'), /test alert delivered \(HTTP 200\)/);
    assert.match(receiver.messages.at(-1)?.text ?? '', /^Test alert from the Stripe → Intercom sync for Acme support/);
    await snap(page, '08-alerts-tested');

    // Resync: checked N of M, K changed.
    await submitExpecting(page, 'Resync', 'Resync started');
    await waitForRunComplete(page, 'Resync');
    assert.match(await text(page, '#progress-text'), /^Resync complete: [\d,]+ customers checked, \d+ changed\.$/);
    assert.match(await text(page, '#runs'), /Resync .* Done .* Completed/);
    assert.match(await text(page, '#runs'), /Import .* Done .* Completed/);
    await snap(page, '09-after-resync');

    // Reconnect Stripe with a pasted key (replacing the OAuth grant): the install and its history stay; a resync runs.
    await page.getByText('Reconnect Intercom or Stripe').click();
    await page.fill('#reconnect-stripe-key', stack.stripe.keys.restricted);
    await submitExpecting(page, 'Reconnect Stripe', 'Stripe reconnected');
    assert.equal(new URL(page.url()).search, '', 'the message is not shown again on a reload');
    await waitForRunComplete(page, 'Resync');
    const grant = await stack.db.pool.query(`SELECT stripe_grant_id FROM installs WHERE id = $1`, [
      /\/app\/installs\/(ins_[^/?#]+)/.exec(statusUrl)?.[1],
    ]);
    assert.equal(grant.rows[0].stripe_grant_id, null, 'the pasted key replaced the grant');
    await snap(page, '09-stripe-reconnected');

    // Intercom answers 503 to everything: the page says so, retrying, nothing lost; no green.
    stack.intercom.setFaults({ failNext: { count: 1_000_000, status: 503 } });
    stack.stripe.admin.updateCustomer(firstCustomerId, { name: 'Renamed while Intercom is down' });
    await page.locator('[data-bind="health.label"]', { hasText: 'Retrying' }).waitFor({ timeout: 60_000 });
    await page.locator('#notices', { hasText: /Intercom is not answering \(503\)\. Retrying, attempt \d+/ }).waitFor();
    assert.match(await text(page, '#notices'), /Nothing is lost/);
    assert.equal(await page.locator('[data-tone]').getAttribute('class'), 'badge tone-warn');
    await snap(page, '10-intercom-down');
    stack.intercom.setFaults({ failNext: { count: 0 } });
    await page.locator('[data-bind="health.label"]', { hasText: 'Live, with failures' }).waitFor({ timeout: 120_000 });

    // The install's Intercom token is revoked: stopped, said in words, Resync says why not, Reconnect Intercom works.
    const installId = /\/app\/installs\/(ins_[^/?#]+)/.exec(statusUrl)?.[1] as string;
    const alertsBefore = receiver.messages.length;
    stack.intercom.revokeToken(await installTokenOf(installId));
    stack.stripe.admin.updateCustomer(firstCustomerId, { name: 'Renamed after the token was revoked' });
    await page.locator('[data-bind="health.label"]', { hasText: 'Needs attention' }).waitFor({ timeout: 60_000 });
    assert.match(
      await text(page, '#notices'),
      /Intercom rejected the access token \(401\).*Reconnect Intercom 1 customer/,
    );
    assert.equal(await page.locator('#resync').isDisabled(), true);
    assert.match(await text(page, '#resync-why'), /reconnect Intercom or Stripe below first/);
    const attention = await waitForAlert(/needs attention\n.*Intercom rejected the access token/s, alertsBefore);
    assert.equal(attention.kind, 'attention');
    await snap(page, '11-token-revoked');

    await page.fill('#reconnect-intercom-token', 'not-a-real-token');
    await page.getByRole('button', { name: 'Reconnect Intercom' }).click();
    await page.locator('#reconnect-intercom-token-error').waitFor();
    assert.match(
      await text(page, '#reconnect-intercom-token-error'),
      /Intercom rejected the access token \(HTTP 401\)\. It is mistyped or was revoked/,
    );
    assert.equal(await page.inputValue('#reconnect-intercom-token'), 'not-a-real-token');
    await snap(page, '12-reconnect-refused');
    // Reconnect through Intercom OAuth: sign in again, back on this page, use that sign-in.
    await page.getByRole('link', { name: 'Sign in with Intercom again' }).click();
    await page.selectOption('#workspace', workspaceId);
    await page.getByRole('button', { name: 'Authorize access' }).click();
    await submitExpecting(page, 'Use my new Intercom sign-in', 'Intercom reconnected');
    await waitForRunComplete(page, 'Resync');
    const clear = await waitForAlert(/has recovered/, alertsBefore);
    assert.equal(clear.kind, 'all_clear');
    await snap(page, '13-reconnected');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#disconnect').click();
    await page.locator('[data-bind="health.label"]', { hasText: 'Disconnected' }).waitFor();
    assert.equal(await page.locator('#disconnect').count(), 0);
    await snap(page, '14-disconnected');
    assert.deepEqual(pageErrors, [], 'no script errors or CSP violations');
    await context.close();
  });

  /** The first alert matching `pattern` among those received after the first `after`. */
  const waitForAlert = (pattern: RegExp, after: number): Promise<AlertMessage> =>
    eventually(
      async () => receiver.messages.slice(after).find((message) => pattern.test(message.text)),
      60_000,
      `an alert matching ${pattern}`,
    );

  it('connecting again shows a fresh preview; an uninstall from the Stripe dashboard shows on the status page', async () => {
    // Whatever the walk above left running is uninstalled first (it disconnects at its end when it passes).
    const active = await stack.db.pool.query(
      `SELECT id FROM installs WHERE intercom_workspace_id = $1 AND status <> 'disabled'`,
      [workspaceId],
    );
    for (const row of active.rows as { id: string }[]) {
      assert.equal((await stack.api(`/installs/${row.id}`, { method: 'DELETE' })).status, 200);
    }
    const context = await browser.newContext({ viewport: WIDE });
    const page = await context.newPage();
    current = page;
    await page.goto(`${stack.service.apiUrl}/install`);
    await page.getByRole('button', { name: 'Authorize access' }).waitFor();
    await page.selectOption('#workspace', workspaceId);
    await page.getByRole('button', { name: 'Authorize access' }).click();
    await page.getByRole('heading', { name: 'Connect your Stripe account' }).waitFor();
    await page.getByRole('link', { name: 'Sign in to Stripe' }).click();
    await page.getByRole('button', { name: 'Install app' }).click();
    await page.locator('#preview-counts').waitFor({ timeout: 60_000 });
    // The first install created these users: a preview of this connection matches them (an old one said 2).
    const matched = Number((await page.locator('[data-count="matched"]').textContent())?.replace(/,/g, ''));
    assert.ok(matched > 100, `matched ${matched}`);
    await snap(page, 'second-01-fresh-preview');
    await page.getByRole('button', { name: 'Start import' }).click();
    await page.locator('#progress-text', { hasText: 'complete' }).waitFor({ timeout: 180_000 });
    const statusUrl = page.url();

    await page.goto(`${stack.stripe.url}/dashboard/apps`);
    await page.getByRole('button', { name: 'Uninstall app' }).click();
    await page.getByText('No apps installed.').waitFor();

    await page.goto(statusUrl);
    await page.locator('[data-bind="health.label"]', { hasText: 'Disconnected' }).waitFor({ timeout: 30_000 });
    assert.match(
      await text(page, '#notices'),
      /^Uninstalled from Stripe \(account.application.deauthorized\)\. Nothing is written/,
    );
    assert.equal(await page.getByRole('link', { name: 'Connect again' }).count(), 2);
    await snap(page, 'second-02-uninstalled-from-stripe');
    await context.close();
  });

  it('a browser gets pages for / and unknown paths; an API client keeps JSON', async () => {
    const context = await browser.newContext({ viewport: WIDE });
    const page = await context.newPage();
    current = page;
    await page.goto(`${stack.service.apiUrl}/`);
    assert.match(page.url(), /\/app$/);
    const missing = await page.goto(`${stack.service.apiUrl}/app/nothing/here`);
    assert.equal(missing?.status(), 404);
    assert.equal(await text(page, 'h1'), 'Not found');
    assert.equal(await page.getByRole('link', { name: 'Back to the start' }).count(), 1);
    await snap(page, 'other-01-not-found');
    const api = await fetch(`${stack.service.apiUrl}/app/nothing/here`, { headers: { accept: 'application/json' } });
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'not_found');
    const root = await fetch(`${stack.service.apiUrl}/`, { headers: { accept: 'application/json' } });
    assert.equal(((await root.json()) as { installPages: string }).installPages, '/app');
    await context.close();
  });
});
