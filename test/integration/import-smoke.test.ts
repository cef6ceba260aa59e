import assert from 'node:assert/strict';
import { seedCustomers } from '../../emulators/stripe';
import { eventually, startTestStack, type TestStack } from '../support/stack';

describe('import: smoke', function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack?.close());

  it('imports seeded customers into Intercom', async () => {
    const seeded = seedCustomers(stack.stripe, { customers: 120, seed: 7 });
    const { workspaceId, token } = stack.intercom.createWorkspace();
    const response = await stack.api('/installs', {
      body: { stripe: { apiKey: stack.stripe.keys.live }, intercom: { accessToken: token, region: 'us' } },
    });
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 202, JSON.stringify(body));
    await eventually(
      async () => {
        const res = await stack.api(`/installs/${body.id}`);
        const json = (await res.json()) as { state: string };
        return json.state === 'live' ? json : undefined;
      },
      120_000,
      'install live',
    );
    const contacts = stack.intercom.workspace(workspaceId).contacts;
    const withEmail = new Set(seeded.filter((c) => c.email && !c.deleted).map((c) => c.email!.toLowerCase()));
    assert.equal(contacts.length, withEmail.size);
  });
});
