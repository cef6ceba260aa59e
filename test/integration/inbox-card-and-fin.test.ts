import assert from 'node:assert/strict';
import type { CanvasExchange, ContactJson, EmulatedCanvas } from '../../emulators/intercom';
import { postCanvas, sendCanvasRequest } from '../../emulators/intercom/canvas-kit';
import type { LiveInstall } from '../support/live-sync';
import { arrangeSupportScenario, signedInBrowser, type SupportScenario } from '../support/support-scenario';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { driftThroughApi } from '../support/faults';
import { CanvasActionTokens } from '../../src/canvas/action-token';

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
  let scenario: SupportScenario;

  before(async () => {
    stack = await startTestStack({ config: { FIN_REQUESTS_PER_MINUTE: 30 } });
    appUrl = `${stack.service.apiUrl}/intercom/canvas`;
    scenario = await arrangeSupportScenario(stack);
    ({ target, workspace, contacts, customerIds } = scenario);
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
    assert.ok(
      lines.some((line) => /^\d{4}-\d\d-\d\d · invoice [A-Z0-9]+-0002 open 49\.00 USD$/.test(line)),
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
    const failedInvoice = failing.canvas?.content.components.find(
      (one) => one.type === 'text' && / · invoice \S+ payment failed 49\.00 USD$/.test(one.text),
    );
    assert.equal(failedInvoice?.type === 'text' && failedInvoice.style, 'error', lines.join('\n'));
    const link = failing.canvas?.content.components.find(
      (one) => one.type === 'button' && one.label.startsWith('Invoice '),
    );
    assert.match(
      link?.type === 'button' && link.action.type === 'url' ? link.action.url : '',
      /^https:\/\/invoice\.stripe\.com\//,
    );
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

  it("refuses a replayed submit, and an action from another contact's or a stale card", async () => {
    const first = await initialize('unknown');
    const press = (currentCanvas: EmulatedCanvas, key = 'unknown') =>
      stack.intercom.canvasKit.submit(`${appUrl}/submit`, {
        workspaceId: target.workspaceId,
        contactId: contacts.get(key)?.id as string,
        componentId: 'refresh',
        currentCanvas,
      });
    const pressed = await press(first.canvas as EmulatedCanvas);
    assert.equal(pressed.status, 200, pressed.text);
    const replayed = await postCanvas(`${appUrl}/submit`, pressed.sentBody, pressed.sentSignature);
    assert.equal(replayed.status, 409, replayed.text);
    assert.match(replayed.text, /"code":"replayed_request"/);
    // The redrawn card works once more: each answer carries a fresh token.
    assert.equal((await press(pressed.canvas as EmulatedCanvas)).status, 200);
    // Another contact's card (its token names that contact) pressed in this contact's panel.
    const moved = await press(first.canvas as EmulatedCanvas, 'paying');
    assert.equal(moved.status, 401, moved.text);
    assert.match(moved.text, /"code":"invalid_action_token"/);
    // A card drawn over an hour ago: redrawn, the action not run, saying so.
    const hourAgo = Date.now() - 61 * 60_000;
    const staleToken = new CanvasActionTokens(stack.service.pool, stack.config, () => hourAgo).issue(
      target.workspaceId,
      contacts.get('paying')?.id as string,
    );
    stack.stripe.resetCounts();
    const stale = await press({ ...(first.canvas as EmulatedCanvas), stored_data: { action: staleToken } }, 'paying');
    assert.equal(rendered(stale)[0], 'This card was drawn over an hour ago, so Refresh did not run: press it again.');
    assert.deepEqual(stack.stripe.requestCounts(), {}, 'no Stripe re-read');
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

    it('the status page makes and rotates the secret, shown once, then only its last characters', async () => {
      const browser = await signedInBrowser(stack, scenario);
      const statusUrl = `${stack.service.apiUrl}/app/installs/${target.installId}`;
      const before = await browser.get(statusUrl);
      assert.match(before.body, /A Fin secret is set: it ends in <code>…[A-Za-z0-9_-]{4}<\/code>/);
      const made = await browser.post(`${statusUrl}/fin-secret`, { _csrf: browser.csrfOf(before) });
      assert.equal(made.status, 200);
      assert.equal(made.headers.get('cache-control'), 'no-store');
      const shown = /id="fin-secret-value">(fin_[A-Za-z0-9_-]{43})</.exec(made.body)?.[1];
      assert.ok(shown, made.body.slice(0, 300));
      assert.equal((await fin('email=paying@example.com', secret)).status, 401, 'the old secret stopped');
      assert.equal((await fin('email=paying@example.com', shown)).status, 200);
      secret = shown;
      const again = await browser.get(statusUrl);
      assert.doesNotMatch(again.body, new RegExp(shown));
      assert.ok(again.body.includes(`ends in <code>…${shown.slice(-4)}</code>`), 'the hint');
      // The primary account selector: one account here, so a text; a foreign install id is refused beside the field.
      assert.match(again.body, /This workspace has one connected Stripe account, so it is the primary one/);
      const refused = await browser.post(`${statusUrl}/primary`, {
        _csrf: browser.csrfOf(again),
        primary: 'ins_other',
      });
      assert.equal(refused.status, 422);
      assert.match(refused.body, /That Stripe account is not connected to this workspace/);
      const chosen = await browser.post(`${statusUrl}/primary`, {
        _csrf: browser.csrfOf(again),
        primary: target.installId,
      });
      assert.equal(chosen.status, 200);
      assert.match(chosen.body, /Primary Stripe account changed/);
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
    let driftKeys: string[] = [];
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
      driftKeys = fromDrift.problems.flatMap((problem) =>
        problem.kind === 'attributes_differ'
          ? problem.attributes.map((one) => `${problem.kind}:${one.name}`)
          : [problem.kind],
      );
    });

    it("the explain page, reached from the status page's look-up, shows /drift's differences and queues a resync", async () => {
      const browser = await signedInBrowser(stack, scenario);
      const statusPage = await browser.get(`${stack.service.apiUrl}/app/installs/${target.installId}`);
      assert.equal(statusPage.status, 200, statusPage.body.slice(0, 300));
      assert.match(statusPage.body, /action="\/app\/installs\/ins_[^"]+\/customers"/);
      const page = await browser.get(
        `${stack.service.apiUrl}/app/installs/${target.installId}/customers?customer=${encodeURIComponent(' Failing@Example.com')}`,
      );
      const id = customerIds.get('Failing Cy') as string;
      assert.equal(page.status, 200, page.body.slice(0, 500));
      assert.equal(page.url, `${stack.service.apiUrl}/app/installs/${target.installId}/customers/${id}`);
      const shownKeys = [...page.body.matchAll(/data-difference="([^"]+)"/g)].map((match) => match[1]);
      assert.deepEqual(shownKeys, driftKeys, "the page's differences are /drift's");
      assert.match(page.body, /STRIPE_subscription_status: computed past_due, Intercom has active/);
      assert.match(page.body, /href="http[^"]+sync%3Ains_[^"]+"[^>]*>open in Temporal UI<\/a>/);
      assert.match(page.body, /invoice\.payment_failed/);
      const queued = await browser.post(
        `${stack.service.apiUrl}/app/installs/${target.installId}/customers/${id}/resync`,
        {
          _csrf: browser.csrfOf(page),
        },
      );
      assert.equal(queued.status, 200, queued.body.slice(0, 300));
      assert.match(queued.body, /id="resync-queued"[^>]*>\s*Resync queued \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      const forged = await browser.post(
        `${stack.service.apiUrl}/app/installs/${target.installId}/customers/${id}/resync`,
        {
          _csrf: 'not-the-token',
        },
      );
      assert.equal(forged.status, 403);
      const unknown = await browser.get(
        `${stack.service.apiUrl}/app/installs/${target.installId}/customers?customer=cus_nobody`,
      );
      assert.equal(unknown.status, 404);
      assert.match(unknown.body, /id="customer-key-error">No Stripe customer cus_nobody in this install/);
      assert.match(unknown.body, /aria-invalid="true" value="cus_nobody"/);
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
