import assert from 'node:assert/strict';
import { seedImportScenario, waitForImport } from '../support/import-scenario';
import { FormBrowser, previewWithPastedKeys } from '../support/oauth-flow';
import { startTestStack, type TestStack } from '../support/stack';

describe('install flow: pasted credentials, preview, and the import that follows', function () {
  this.timeout(400_000);
  let stack: TestStack;

  before(async () => {
    // No OAuth configured: the pasted-credential form is the page.
    stack = await startTestStack({ config: { ALLOW_TEST_MODE: false } });
  });
  after(async () => stack?.close());

  it('the preview of a 1,000-customer account counts what the import then reports, writing nothing first', async () => {
    const scenario = seedImportScenario(stack, { customers: 1000, seed: 11, preexistingUsers: 150 });
    const { browser, result } = await previewWithPastedKeys(stack, scenario.token);
    assert.equal(result.phase, 'done', result.error ?? '');
    assert.equal(result.samples.length, 5);
    const before = stack.intercom.workspace(scenario.workspaceId);
    assert.equal(before.contacts.length, scenario.preexisting.size, 'the preview wrote no contact');
    assert.equal(before.dataAttributes.length, 0, 'the preview created no attribute');
    const writes = stack.intercom.requestCounts(scenario.workspaceId);
    assert.deepEqual(
      Object.keys(writes).filter((endpoint) => !endpoint.startsWith('GET') && endpoint !== 'POST /contacts/search'),
      [],
      'the preview only read and searched',
    );

    const page = await browser.get(`${stack.service.apiUrl}/app/preview`);
    const status = await browser.post(`${stack.service.apiUrl}/app/install`, { _csrf: browser.csrfOf(page) });
    const installId = /\/app\/installs\/(ins_[^/]+)$/.exec(status.url)?.[1] ?? '';
    assert.ok(installId, status.url);
    const imported = await waitForImport(stack, installId);

    assert.equal(result.customers, imported.import?.customersSeen);
    assert.equal(result.matched, imported.sync.matched);
    assert.equal(result.toCreate, imported.sync.created + imported.sync.failed);
    assert.equal(result.noEmail, imported.sync.skippedNoEmail);
    assert.ok(result.matched > 100 && result.toCreate > 700 && result.noEmail > 10, JSON.stringify(result));
  });

  it('refuses a form post without the session CSRF token, or from another site', async () => {
    const browser = new FormBrowser(stack.service.apiUrl);
    const start = await browser.get(`${stack.service.apiUrl}/app`);
    const fields = { intercomToken: 'x'.repeat(20), stripeKey: stack.stripe.keys.restricted };
    const missing = await browser.post(`${stack.service.apiUrl}/app/connect/keys`, fields);
    assert.equal(missing.status, 403);
    assert.match(missing.body, /Reload the page and try again/);
    // With this browser's own session and a valid token (issue 16: the check once compared the Origin with itself).
    const signed = { ...fields, _csrf: browser.csrfOf(start) };
    const foreign = await browser.post(`${stack.service.apiUrl}/app/connect/keys`, signed, {
      origin: 'https://evil.example',
    });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /sent from another site/);
    const own = await browser.post(`${stack.service.apiUrl}/app/connect/keys`, signed, {
      origin: new URL(stack.service.apiUrl).origin,
    });
    assert.notEqual(own.status, 403, 'our own origin passes (the pasted token is then checked)');
  });
});
