import assert from 'node:assert/strict';
import type { ContactJson } from '../../emulators/intercom';
import { secretBoxFor } from '../../src/crypto/secret-box';
import { insertInstall } from '../../src/db/installs';
import { upsertCustomers } from '../../src/db/mirror';
import { customer } from '../unit/fixtures/stripe';
import { waitForQuiet, waitForState } from '../support/live-sync';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Issue 22, several Stripe accounts in one Intercom workspace. The Stripe emulator is one account, so the workspace's
 * other account is an install row with a mirrored customer (`acct_OtherAccount`, prefix STRIPE_), made before the
 * emulator's account is installed through the API.
 */
describe('several Stripe accounts in one Intercom workspace', function () {
  this.timeout(240_000);
  let stack: TestStack;
  let workspace: { workspaceId: string; token: string };
  let contact: ContactJson;
  let installId: string;
  const OTHER = 'ins_OtherAccount01';

  before(async () => {
    stack = await startTestStack({ config: { FIN_REQUESTS_PER_MINUTE: 1_000 } });
    stack.config.INTERCOM_CLIENT_SECRET = stack.intercom.oauthApp.clientSecret;
    workspace = stack.intercom.createWorkspace();
    contact = stack.intercom.createContact(workspace.workspaceId, { role: 'user', email: 'ada@example.com' });
    stack.stripe.admin.createCustomer({
      email: 'ada@example.com',
      name: 'Ada here',
      currency: 'usd',
      emitEvents: false,
    });
    const sealed = secretBoxFor(stack.config).seal('rk_live_other_account_key');
    await insertInstall(stack.db.pool, {
      id: OTHER,
      stripeAccountId: 'acct_OtherAccount',
      livemode: true,
      stripeApiKeySealed: sealed,
      intercomWorkspaceId: workspace.workspaceId,
      intercomRegion: 'us',
      intercomTokenSealed: sealed,
      attributePrefix: 'STRIPE_',
      matchBy: 'email',
      metadataAttributes: [],
    });
    await upsertCustomers(stack.db.pool, OTHER, [
      {
        customerId: 'cus_OtherAda',
        emailNormalized: 'ada@example.com',
        deleted: false,
        customer: customer({ id: 'cus_OtherAda', name: 'Ada there', currency: 'eur', livemode: true }),
        observedAt: new Date(),
      },
    ]);
  });

  after(() => stack?.close());

  const installInto = (attributePrefix?: string) =>
    stack.api('/installs', {
      body: {
        stripe: { apiKey: stack.stripe.keys.live },
        intercom: { accessToken: workspace.token },
        ...(attributePrefix ? { attributePrefix } : {}),
      },
    });

  it('refuses a prefix whose attributes another account of the workspace writes, offering a free one', async () => {
    // Intercom compares attribute names case-insensitively: stripe_ writes STRIPE_'s attributes.
    for (const prefix of [undefined, 'stripe_']) {
      const response = await installInto(prefix);
      assert.equal(response.status, 409, String(prefix));
      const body = (await response.json()) as { error: { code: string; message: string; field: string } };
      assert.equal(body.error.code, 'attribute_prefix_taken');
      assert.equal(body.error.field, 'attributePrefix');
      assert.match(body.error.message, /Stripe account acct_OtherAccount \(install ins_OtherAccount01\)/);
    }
    const refused = (await (await installInto()).json()) as { error: { message: string } };
    assert.match(refused.error.message, /"attributePrefix": "STRIPE2_" \(free\)$/);
    const count = await stack.db.pool.query(`SELECT count(*)::int AS n FROM installs`);
    assert.equal(count.rows[0].n, 1, 'nothing installed');
  });

  it('installs with the free prefix; the card and Fin list both accounts, the primary first', async () => {
    const response = await installInto('STRIPE2_');
    const created = (await response.json()) as { id: string };
    assert.equal(response.status, 202, JSON.stringify(created));
    installId = created.id;
    await waitForState(stack, installId, 'live');
    await waitForQuiet(stack, installId);

    const card = async () => {
      const answer = await stack.intercom.canvasKit.initialize(`${stack.service.apiUrl}/intercom/canvas/initialize`, {
        workspaceId: workspace.workspaceId,
        contactId: contact.id,
      });
      assert.deepEqual(answer.problems, []);
      return (answer.canvas?.content.components ?? []).flatMap((one) => (one.type === 'text' ? [one.text] : []));
    };
    const headers = (lines: string[]) => lines.filter((line) => /^\*Ada (here|there)\*$/.test(line));
    // No choice made: the oldest install is the primary.
    assert.deepEqual(headers(await card()), ['*Ada there*', '*Ada here*']);
    assert.ok((await card()).some((line) => line === 'cus_OtherAda · acct_OtherAccount (primary)'));

    const chosen = await stack.api(`/installs/${installId}/primary`, { method: 'PUT' });
    assert.equal(chosen.status, 200);
    const body = (await chosen.json()) as { installs: { id: string; primary: boolean }[] };
    assert.deepEqual(
      body.installs.map((one) => [one.id, one.primary]),
      [
        [installId, true],
        [OTHER, false],
      ],
    );
    assert.deepEqual(headers(await card()), ['*Ada here*', '*Ada there*']);

    const secret = await stack.api(`/installs/${installId}/fin-secret`, { method: 'POST' });
    const { finSecret } = (await secret.json()) as { finSecret: string };
    const fin = await fetch(`${stack.service.apiUrl}/fin/customers?email=ada@example.com`, {
      headers: { authorization: `Bearer ${finSecret}` },
    });
    const answer = (await fin.json()) as { customers: { stripeAccount: string; primaryAccount: boolean }[] };
    assert.deepEqual(
      answer.customers.map((one) => [one.stripeAccount, one.primaryAccount]),
      [
        [stack.stripe.accountId, true],
        ['acct_OtherAccount', false],
      ],
    );
  });

  it('lets the same account install again (a rotation) with its own prefix', async () => {
    const again = await installInto('STRIPE2_');
    assert.equal(again.status, 200, await again.clone().text());
    assert.equal(((await again.json()) as { created: boolean }).created, false);
  });
});
