import assert from 'node:assert/strict';
import type { CanvasExchange, ContactJson, EmulatedCanvas } from '../../emulators/intercom';
import { postCanvas, sendCanvasRequest } from '../../emulators/intercom/canvas-kit';
import type { LiveInstall } from '../support/live-sync';
import { arrangeSupportScenario } from '../support/support-scenario';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { driftThroughApi } from '../support/faults';

/**
 * Issue 22, the inbox card and the answers for Fin. The card: the Intercom emulator sends Canvas Kit initialize and submit requests signed as Intercom
 * signs them (and forged, unsigned, tampered, from another workspace), and checks every answer against Canvas Kit's
 * documented component shapes. Expected texts are written out by hand.
 */

const DAY = 86_400;

function texts(canvas: EmulatedCanvas | null): string[] {
  assert.ok(canvas, 'a canvas Intercom would render');
  return canvas.content.components.flatMap((one) => {
    if (one.type === 'text') return [one.text];
    if (one.type === 'data-table') return one.items.map((item) => `${item.field}: ${item.value}`);
    if (one.type === 'button') return [`[${one.label}]`];
    return [];
  });
}

function rendered(exchange: CanvasExchange): string[] {
  assert.equal(exchange.status, 200, exchange.text);
  assert.deepEqual(exchange.problems, [], 'the canvas follows Canvas Kit');
  return texts(exchange.canvas);
}

describe('inbox card (Canvas Kit)', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let target: LiveInstall;
  let appUrl: string;
  let workspace: { workspaceId: string; token: string };
  let contacts: Map<string, ContactJson>;
  let customerIds: Map<string, string>;

  before(async () => {
    stack = await startTestStack({ config: { FIN_REQUESTS_PER_MINUTE: 30 } });
    appUrl = `${stack.service.apiUrl}/intercom/canvas`;
    ({ target, workspace, contacts, customerIds } = await arrangeSupportScenario(stack));
  });

  after(() => stack?.close());

  const initialize = (key: string, signing?: 'valid' | 'forged' | 'unsigned') =>
    stack.intercom.canvasKit.initialize(`${appUrl}/initialize`, {
      workspaceId: target.workspaceId,
      contactId: contacts.get(key)?.id ?? null,
      signing,
    });

  it('shows a paying customer from the mirror, with no Stripe call', async () => {
    stack.stripe.resetCounts();
    const lines = rendered(await initialize('paying'));
    assert.deepEqual(stack.stripe.requestCounts(), {}, 'no Stripe request');
    const expiry = new Date((Math.floor(Date.now() / 1000) + 10 * DAY) * 1000);
    const month = `${expiry.getUTCFullYear()}-${String(expiry.getUTCMonth() + 1).padStart(2, '0')}`;
    assert.ok(lines.includes('*Paying Ada*'), lines.join('\n'));
    assert.ok(lines.includes('MRR: 49.00 USD'), lines.join('\n'));
    assert.ok(lines.includes('Balance: 12.50 USD owed'), lines.join('\n'));
    // The subscription's first invoice was charged 49.00, the other charge 49.00 less a 9.00 refund.
    assert.ok(lines.includes('Total spent: 89.00 USD'), lines.join('\n'));
    assert.ok(lines.includes(`Payment method: visa, expires ${month}`), lines.join('\n'));
    assert.ok(
      lines.some((line) => line.startsWith('Card expires ')),
      'card expiring within 30 days is flagged',
    );
    assert.ok(
      lines.some((line) => /^\*Pro monthly\* · active · 49\.00 USD \/ month · renews \d{4}-\d\d-\d\d$/.test(line)),
    );
    assert.ok(
      lines.some((line) => / · charge succeeded 49\.00 USD · refunded 9\.00 USD$/.test(line)),
      lines.join('\n'),
    );
    assert.ok(lines.includes('[Open in Stripe]') && lines.includes('[Refresh from Stripe]'));
  });

  it('marks a churned and a failing customer', async () => {
    const churned = rendered(await initialize('churned'));
    assert.ok(
      churned.some((line) => /^\*Pro monthly\* · canceled · 49\.00 USD \/ month · ended \d{4}-\d\d-\d\d$/.test(line)),
      churned.join('\n'),
    );
    assert.ok(churned.includes('MRR: 0.00 USD'), churned.join('\n'));
    const failing = await initialize('failing');
    const lines = rendered(failing);
    assert.ok(
      lines.some((line) => line.startsWith('*Pro monthly* · past_due')),
      lines.join('\n'),
    );
    const failedCharge = failing.canvas?.content.components.find(
      (one) => one.type === 'text' && one.text.endsWith('charge failed'),
    );
    assert.equal(failedCharge?.type === 'text' && failedCharge.style, 'error', 'a failed charge is marked');
  });

  it('lists every customer sharing the contact email', async () => {
    const lines = rendered(await initialize('shared'));
    assert.ok(lines.includes('*Shared One*') && lines.includes('*Shared Two*'), lines.join('\n'));
  });

  it('answers a contact with no Stripe customer with an empty state', async () => {
    const lines = rendered(await initialize('unknown'));
    assert.deepEqual(lines, [
      'No Stripe customer',
      'No customer in the connected Stripe account is linked to this contact or has its email.',
      '[Refresh from Stripe]',
    ]);
  });

  it('refuses forged, unsigned and tampered requests', async () => {
    for (const signing of ['forged', 'unsigned'] as const) {
      const exchange = await initialize('paying', signing);
      assert.equal(exchange.status, 401, signing);
      assert.match(exchange.text, /"field":"x-body-signature"/);
      assert.doesNotMatch(exchange.text, /Paying Ada/);
    }
    const good = await initialize('unknown');
    const tampered = good.sentBody.replace(contacts.get('unknown')?.id as string, contacts.get('paying')?.id as string);
    const replay = await postCanvas(`${appUrl}/initialize`, tampered, good.sentSignature);
    assert.equal(replay.status, 401, 'a signature covers the exact body');
  });

  it("shows another workspace nothing of this workspace's customers", async () => {
    const other = stack.intercom.createWorkspace();
    const lookalike = stack.intercom.createContact(other.workspaceId, { role: 'user', email: 'paying@example.com' });
    const fromOther = await stack.intercom.canvasKit.initialize(`${appUrl}/initialize`, {
      workspaceId: other.workspaceId,
      contactId: lookalike.id,
    });
    assert.deepEqual(rendered(fromOther).slice(0, 2), [
      'No Stripe customer',
      'No Stripe account is connected to this workspace yet.',
    ]);
    // The other workspace's request naming this workspace's contact id (signed by Intercom for the other workspace).
    const body = JSON.parse(fromOther.sentBody) as { contact: { id: string } };
    body.contact.id = contacts.get('paying')?.id as string;
    const crossed = await sendCanvasRequest(`${appUrl}/initialize`, stack.intercom.oauthApp.clientSecret, body);
    assert.equal(rendered(crossed)[0], 'No Stripe customer');
  });

  it('"Refresh from Stripe" re-reads the customers and redraws', async () => {
    const first = await initialize('paying');
    stack.stripe.admin.updateCustomer(customerIds.get('Paying Ada') as string, { balance: -500, emitEvents: false });
    const refreshed = await stack.intercom.canvasKit.submit(`${appUrl}/submit`, {
      workspaceId: target.workspaceId,
      contactId: contacts.get('paying')?.id as string,
      componentId: 'refresh',
      currentCanvas: first.canvas as EmulatedCanvas,
    });
    const lines = rendered(refreshed);
    assert.equal(lines[0], 'Refreshed from Stripe just now');
    assert.ok(lines.includes('Balance: 5.00 USD credit'), lines.join('\n'));
  });

  describe('answers for Fin', () => {
    let secret: string;
    const fin = (query: string, token: string | null) =>
      fetch(`${stack.service.apiUrl}/fin/customers?${query}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
    const rotate = async () => {
      const response = await stack.api(`/installs/${target.installId}/fin-secret`, { method: 'POST' });
      const body = (await response.json()) as { finSecret: string; connector: { url: string } };
      assert.equal(response.status, 201, JSON.stringify(body));
      assert.match(body.finSecret, /^fin_[A-Za-z0-9_-]{43}$/);
      assert.equal(body.connector.url, `${stack.config.PUBLIC_URL}/fin/customers?email={email}`);
      return body.finSecret;
    };

    before(async () => {
      secret = await rotate();
    });

    it('refuses a missing or wrong secret, and the admin token', async () => {
      for (const token of [null, 'fin_wrong', stack.config.ADMIN_TOKEN]) {
        const response = await fin('email=paying@example.com', token);
        assert.equal(response.status, 401);
        assert.deepEqual(await response.json(), {
          error: { code: 'unauthorized', message: 'a valid Fin bearer secret is required', field: 'authorization' },
        });
      }
    });

    it('answers by email and by contact id with the same compact facts, with no Stripe call', async () => {
      stack.stripe.resetCounts();
      const byEmail = await fin('email=%20Paying@Example.com', secret);
      assert.equal(byEmail.status, 200);
      const body = (await byEmail.json()) as {
        found: number;
        customers: { customerId: string; mrr: number; balance: number; subscriptions: { plan: string }[] }[];
      };
      assert.equal(body.found, 1);
      assert.equal(body.customers[0]?.customerId, customerIds.get('Paying Ada'));
      assert.equal(body.customers[0]?.mrr, 49);
      assert.deepEqual(
        body.customers[0]?.subscriptions.map((line) => line.plan),
        ['Pro monthly'],
      );
      const byContact = await fin(`contact_id=${contacts.get('paying')?.id}`, secret);
      assert.deepEqual(await byContact.json(), body);
      assert.deepEqual(stack.stripe.requestCounts(), {}, 'no Stripe request');
      const none = await fin('email=nobody@example.com', secret);
      assert.deepEqual(await none.json(), { found: 0, customers: [] });
    });

    it('names the missing field', async () => {
      const response = await fin('', secret);
      assert.equal(response.status, 400);
      assert.deepEqual(((await response.json()) as { error: { field: string } }).error.field, 'email');
    });

    it('stops the old secret at once when rotated', async () => {
      const old = secret;
      secret = await rotate();
      assert.equal((await fin('email=paying@example.com', old)).status, 401);
      assert.equal((await fin('email=paying@example.com', secret)).status, 200);
    });

    it('limits requests per install (FIN_REQUESTS_PER_MINUTE)', async () => {
      const statuses: number[] = [];
      // 61 requests with a limit of 30: whichever minute boundary falls between them, one window sees more than 30.
      for (let i = 0; i < 61; i += 1) statuses.push((await fin('email=paying@example.com', secret)).status);
      assert.ok(statuses.includes(429), statuses.join(','));
      assert.ok(statuses.every((status) => status === 200 || status === 429));
    });
  });

  describe('one customer explained', () => {
    interface Explained {
      customerId: string;
      stripeNow: { customer?: { id: string; balance: number } };
      computedAttributes: Record<string, unknown>;
      intercomNow: { customAttributes?: Record<string, unknown> };
      differences: { report: { jobId: string } | null; problems?: unknown[] };
      lastWrite: { at: string | null; workflow: string } | null;
      events: unknown[];
      failure: unknown;
    }
    const explain = async (key: string) => {
      const response = await stack.api(`/installs/${target.installId}/customers/${encodeURIComponent(key)}`);
      return { status: response.status, body: (await response.json()) as Explained };
    };

    it('shows Stripe now, the computed attributes, Intercom now and the last write', async () => {
      const id = customerIds.get('Failing Cy') as string;
      const { status, body } = await explain(id);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.stripeNow.customer?.id, id);
      assert.equal(body.computedAttributes.STRIPE_subscription_status, 'past_due');
      assert.equal(body.intercomNow.customAttributes?.STRIPE_subscription_status, 'past_due');
      assert.ok(body.lastWrite?.at, 'written');
      assert.match(body.lastWrite?.workflow ?? '', /sync%3Ains_/);
      assert.deepEqual(body.differences.report, null, 'no drift report yet');
      assert.equal((await explain('Failing@Example.com')).body.customerId, id, 'by email');
      const unknown = await stack.api(`/installs/${target.installId}/customers/cus_nobody`);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: { field: string } }).error.field, 'customerId');
    });

    it("gives /drift's differences for the customer", async () => {
      const id = customerIds.get('Failing Cy') as string;
      const contactId = contacts.get('failing')?.id as string;
      // Someone edits the contact in Intercom: the drift report finds the attribute differing.
      const edited = await fetch(`${stack.intercom.url}/contacts/${contactId}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${workspace.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ custom_attributes: { STRIPE_subscription_status: 'active' } }),
      });
      assert.equal(edited.status, 200, await edited.text());
      const job = await driftThroughApi(stack, target.installId, { limit: 1000 });
      const fromDrift = job.report?.drifted.find((drift) => drift.customerId === id);
      assert.ok(fromDrift, 'the drift report finds the customer');
      const { body } = await explain(id);
      assert.deepEqual(body.differences, {
        report: { jobId: job.id, finishedAt: job.finishedAt },
        problems: fromDrift.problems,
      });
      assert.deepEqual(fromDrift.problems, [
        {
          kind: 'attributes_differ',
          attributes: [{ name: 'STRIPE_subscription_status', expected: 'past_due', actual: 'active' }],
        },
      ]);
    });

    it('"Resync this customer" writes the edited contact again', async () => {
      const id = customerIds.get('Failing Cy') as string;
      const response = await stack.api(`/installs/${target.installId}/customers/${id}/resync`, { method: 'POST' });
      assert.equal(response.status, 202, await response.clone().text());
      await eventually(
        async () => {
          const { body } = await explain(id);
          return body.intercomNow.customAttributes?.STRIPE_subscription_status === 'past_due' ? true : undefined;
        },
        60_000,
        'the contact written again',
      );
      const missing = await stack.api(`/installs/${target.installId}/customers/cus_nobody/resync`, { method: 'POST' });
      assert.equal(missing.status, 404);
    });
  });
});
