import assert from 'node:assert/strict';
import { BatchEvents } from '../../src/activities/batch-events';
import { ContactWriter } from '../../src/activities/contact-writer';
import { contactCounts } from '../../src/db/contacts';
import type { Install } from '../../src/db/installs';
import { upsertCustomers } from '../../src/db/mirror';
import { normalizeEmail } from '../../src/mapping';
import { emptyCounters } from '../../src/shared/counters';
import type { SyncCounters, WorkItem } from '../../src/shared/messages';
import { FakeIntercomGateway, LostAnswer } from '../support/fake-intercom-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';
import { customer } from '../unit/fixtures/stripe';

/**
 * The contact writer's state machine (create → 409 → ours or theirs, update → 409 → email taken, lead → user, vanished
 * contacts) driven through an in-memory Intercom: PostgreSQL is real (the writer's rules live partly in SQL), Intercom
 * is the fake, so a whole batch runs in a few milliseconds.
 */
describe('contact writer', function () {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  interface Person {
    customerId: string;
    email: string;
    name: string;
  }

  const newInstall = (): Promise<Install> => insertTestInstall(db.pool);

  async function mirror(install: Install, people: Person[]): Promise<void> {
    await upsertCustomers(
      db.pool,
      install.id,
      people.map((person) => ({
        customerId: person.customerId,
        emailNormalized: normalizeEmail(person.email),
        deleted: false,
        customer: customer({ id: person.customerId, email: person.email, name: person.name }),
        observedAt: new Date(),
      })),
    );
  }

  const items = (people: Person[]): WorkItem[] =>
    people.map((person) => ({ customerId: person.customerId, refresh: false, eventIds: [], batchKeys: [] }));

  /**
   * One syncCustomers batch as the activity runs it, retried (a fresh writer per attempt, as Temporal retries the
   * activity) while Intercom's answers get lost. Returns the successful attempt's counters.
   */
  async function syncBatch(install: Install, intercom: FakeIntercomGateway, people: Person[]): Promise<SyncCounters> {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const counters = emptyCounters();
      const batch = items(people);
      const events = new BatchEvents(db.pool, install.id, batch);
      const writer = new ContactWriter(install, intercom, { pool: db.pool, lockPool: db.pool }, counters, events);
      try {
        const groups = await writer.plan(batch);
        await writer.withLocks(groups, async (buckets) => {
          for (const bucket of buckets) for (const group of bucket) await writer.write(group);
        });
        return counters;
      } catch (err) {
        if (!(err instanceof LostAnswer)) throw err;
      }
    }
    throw new Error('the batch did not succeed in 5 attempts');
  }

  async function recordedContacts(install: Install) {
    const { rows } = await db.pool.query<{ contact_id: string; created_by_us: boolean; email_normalized: string }>(
      `SELECT contact_id, created_by_us, email_normalized FROM intercom_contacts WHERE install_id = $1`,
      [install.id],
    );
    return new Map(rows.map((row) => [row.contact_id, row]));
  }

  async function linkOf(install: Install, customerId: string): Promise<string | undefined> {
    const { rows } = await db.pool.query<{ contact_id: string }>(
      `SELECT contact_id FROM contact_links WHERE install_id = $1 AND customer_id = $2`,
      [install.id, customerId],
    );
    return rows[0]?.contact_id;
  }

  const person = (id: string, email: string, name = `Name of ${id}`): Person => ({ customerId: id, email, name });

  describe('state machine', () => {
    it('creates a user for a new email, with its email and name, and counts it created', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const ada = person('cus_ada', 'Ada@Example.com', 'Ada Lovelace');
      await mirror(install, [ada]);
      const counters = await syncBatch(install, intercom, [ada]);
      assert.equal(counters.created, 1);
      const [contact] = [...intercom.contacts.values()];
      assert.equal(contact?.email, 'Ada@Example.com');
      assert.equal(contact?.name, 'Ada Lovelace');
      assert.equal((await recordedContacts(install)).get(contact?.id ?? '')?.created_by_us, true);
      assert.equal(await linkOf(install, 'cus_ada'), contact?.id);
    });

    it('matches a user the search finds: its attributes are written, its email and name stay its own', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const existing = intercom.seed({ role: 'user', email: 'grace@example.com', name: 'Grace (Intercom)' });
      const grace = person('cus_grace', 'grace@example.com', 'Grace Hopper');
      await mirror(install, [grace]);
      const counters = await syncBatch(install, intercom, [grace]);
      assert.deepEqual([counters.created, counters.matched], [0, 1]);
      assert.equal(existing.name, 'Grace (Intercom)');
      assert.ok(Object.keys(existing.customAttributes).length > 0, 'attributes written');
      assert.deepEqual(await contactCounts(db.pool, install.id), { created: 0, matched: 1 });
    });

    it('create → 409 for a user the lagging search missed: matched, not taken for ours', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const existing = intercom.seed({ role: 'user', email: 'lin@example.com', name: 'Lin', searchable: false });
      const lin = person('cus_lin', 'lin@example.com', 'Lin from Stripe');
      await mirror(install, [lin]);
      const counters = await syncBatch(install, intercom, [lin]);
      assert.deepEqual([counters.created, counters.matched], [0, 1]);
      assert.equal(intercom.contacts.size, 1, 'no second user');
      assert.equal(existing.name, 'Lin', 'a user we did not create keeps its name');
      assert.equal(await linkOf(install, 'cus_lin'), existing.id);
      assert.deepEqual(await contactCounts(db.pool, install.id), { created: 0, matched: 1 });
    });

    it('a lead holding the email becomes the user on the same contact', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const lead = intercom.seed({ role: 'lead', email: 'kay@example.com' });
      const kay = person('cus_kay', 'kay@example.com');
      await mirror(install, [kay]);
      const counters = await syncBatch(install, intercom, [kay]);
      assert.equal(counters.matched, 1);
      assert.equal(lead.role, 'user');
      assert.equal(await linkOf(install, 'cus_kay'), lead.id);
    });

    it('lead → 409 (a user the search missed has the email): links to that user instead', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const lead = intercom.seed({ role: 'lead', email: 'mo@example.com' });
      const user = intercom.seed({ role: 'user', email: 'mo@example.com', searchable: false });
      const mo = person('cus_mo', 'mo@example.com');
      await mirror(install, [mo]);
      const counters = await syncBatch(install, intercom, [mo]);
      assert.equal(counters.matched, 1);
      assert.equal(lead.role, 'lead', 'the lead stays a lead');
      assert.equal(await linkOf(install, 'cus_mo'), user.id);
      assert.deepEqual([...(await recordedContacts(install)).keys()], [user.id]);
    });

    it('update → 409 (the new email is another user’s): keeps the old email, writes the rest, warns', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const other = intercom.seed({ role: 'user', email: 'taken@example.com' });
      const ann = person('cus_ann', 'ann@example.com', 'Ann');
      await mirror(install, [ann]);
      await syncBatch(install, intercom, [ann]);
      const changed = { ...ann, email: 'taken@example.com', name: 'Ann Changed' };
      await mirror(install, [changed]);
      const counters = await syncBatch(install, intercom, [changed]);
      assert.equal(counters.updated, 1);
      const ours = intercom.contacts.get((await linkOf(install, 'cus_ann')) ?? '');
      assert.equal(ours?.email, 'ann@example.com');
      assert.equal(ours?.name, 'Ann Changed');
      assert.equal(other.name, null);
      const { rows } = await db.pool.query<{ code: string }>(
        `SELECT code FROM install_warnings WHERE install_id = $1 AND customer_id = 'cus_ann'`,
        [install.id],
      );
      assert.deepEqual(
        rows.map((row) => row.code),
        ['email_taken'],
      );
    });

    it('a contact deleted in Intercom is forgotten and created again (update → 404)', async () => {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway();
      const bo = person('cus_bo', 'bo@example.com', 'Bo');
      await mirror(install, [bo]);
      await syncBatch(install, intercom, [bo]);
      const first = (await linkOf(install, 'cus_bo')) as string;
      intercom.delete(first);
      await mirror(install, [{ ...bo, name: 'Bo Renamed' }]);
      const counters = await syncBatch(install, intercom, [bo]);
      assert.equal(counters.created, 1);
      const second = (await linkOf(install, 'cus_bo')) as string;
      assert.notEqual(second, first);
      assert.equal(intercom.contacts.get(second)?.name, 'Bo Renamed');
      assert.deepEqual(await contactCounts(db.pool, install.id), { created: 1, matched: 0 });
    });
  });

  describe('every Intercom answer lost once after it took effect', () => {
    const people = [
      person('cus_new', 'new@example.com', 'New Person'),
      person('cus_shared_a', 'Shared@Example.com', 'Shared A'),
      person('cus_shared_b', 'shared@example.com', 'Shared B'),
      person('cus_user', 'user@example.com', 'User in Stripe'),
      person('cus_lead', 'lead@example.com', 'Lead in Stripe'),
    ];
    const createdEmails = ['new@example.com', 'shared@example.com'];

    async function runWithLoss(lostCall: number | null, searchLag: boolean) {
      const install = await newInstall();
      const intercom = new FakeIntercomGateway({ searchLag });
      intercom.seed({ role: 'user', email: 'user@example.com', name: 'User in Intercom' });
      intercom.seed({ role: 'lead', email: 'lead@example.com', name: 'Lead in Intercom' });
      if (lostCall !== null) intercom.loseAnswer(lostCall);
      await mirror(install, people);
      await syncBatch(install, intercom, people);
      return { install, intercom };
    }

    /** What must hold however the answers went: each person once, ours known as ours, the others as matched. */
    async function assertConverged(install: Install, intercom: FakeIntercomGateway, label: string) {
      const users = [...intercom.contacts.values()].filter((contact) => contact.role === 'user');
      const emails = users.map((contact) => contact.email?.toLowerCase()).sort();
      assert.deepEqual(
        emails,
        ['lead@example.com', 'new@example.com', 'shared@example.com', 'user@example.com'],
        label,
      );
      const recorded = await recordedContacts(install);
      for (const contact of intercom.contacts.values()) {
        if (!contact.createdByCreateCall) continue;
        assert.equal(recorded.get(contact.id)?.created_by_us, true, `${label}: ${contact.email} is the service's own`);
      }
      assert.deepEqual(await contactCounts(db.pool, install.id), { created: 2, matched: 2 }, label);
      for (const email of createdEmails) {
        const contact = users.find((user) => user.email?.toLowerCase() === email);
        assert.equal(contact?.createdByCreateCall, true, `${label}: ${email} created by the service`);
      }
    }

    for (const searchLag of [false, true]) {
      it(`never counts a contact of its own as pre-existing (search ${searchLag ? 'lagging' : 'current'})`, async () => {
        const clean = await runWithLoss(null, searchLag);
        await assertConverged(clean.install, clean.intercom, 'no loss');
        // Any one call: the first attempt's and, as the loss makes retries, theirs too.
        let runs = 0;
        for (let lost = 0; ; lost += 1) {
          const { install, intercom } = await runWithLoss(lost, searchLag);
          if (intercom.calls.length <= lost) break;
          runs += 1;
          const label = `answer of call ${lost} (${intercom.calls[lost]}) lost`;
          await assertConverged(install, intercom, label);
          // The contacts it created keep following their customers' names.
          await mirror(install, [{ ...(people[0] as Person), name: 'New Person Renamed' }]);
          intercom.settleSearch();
          await syncBatch(install, intercom, people);
          const created = [...intercom.contacts.values()].find((contact) => contact.email === 'new@example.com');
          assert.equal(created?.name, 'New Person Renamed', `${label}: the created contact follows its customer`);
        }
        assert.ok(runs >= clean.intercom.calls.length, `every call of the clean run lost once (${runs} runs)`);
      });
    }
  });
});
