import assert from 'node:assert/strict';
import { getContactMembersOfEach, type ShownOn } from '../../src/db/mirror';
import type { Queryable } from '../../src/db/queryable';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';

/**
 * A sync batch reads its contacts' members in one query. What that query reads must depend on the batch, not on the
 * install: during a 20,000-customer import every batch runs it, before autovacuum has analyzed the rows the import
 * just wrote. Measured in PostgreSQL's own buffer counts (EXPLAIN ANALYZE), which do not depend on the machine's speed.
 */
describe('contact members query (in PostgreSQL)', function () {
  this.timeout(120_000);
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  /** An install of `customers` customers, each with its own email, the odd ones linked to a contact each. */
  async function installWith(customers: number): Promise<string> {
    const installId = (await insertTestInstall(db.pool)).id;
    await db.pool.query(
      `INSERT INTO stripe_customers (install_id, customer_id, email_normalized, deleted, customer, observed_at)
       SELECT $1, 'cus_' || n, 'person' || n || '@example.com', false,
              jsonb_build_object('id', 'cus_' || n, 'object', 'customer', 'description', repeat('x', 600)), now()
         FROM generate_series(1, $2::int) AS n`,
      [installId, customers],
    );
    await db.pool.query(
      `INSERT INTO contact_links (install_id, customer_id, contact_id)
       SELECT $1, 'cus_' || n, 'contact_' || n FROM generate_series(1, $2::int, 2) AS n`,
      [installId, customers],
    );
    return installId;
  }

  /** The same batch shape in any install: five linked contacts, five emails not yet on a contact, one new customer. */
  const batch: ShownOn[] = [
    ...[1, 3, 5, 7, 9].map((n) => ({ contactId: `contact_${n}`, email: `person${n}@example.com`, customerIds: [] })),
    ...[302, 304, 306, 308, 310].map((n) => ({ contactId: null, email: `person${n}@example.com`, customerIds: [] })),
    { contactId: null, email: null, customerIds: ['cus_8'] },
  ];

  /** The members the query finds for `batch` and the buffers it touched (shared hits and reads, the whole plan). */
  async function readMembers(installId: string): Promise<{ members: string[][]; buffers: number }> {
    const members = (await getContactMembersOfEach(db.pool, installId, batch)).map((each) =>
      each.map((customer) => customer.customerId),
    );
    let buffers = NaN;
    const explaining = {
      query: async (text: string, values?: unknown[]) => {
        const explained = await db.pool.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
          values,
        );
        const plan = explained.rows[0]!['QUERY PLAN'][0].Plan;
        buffers = (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
        return { rows: [], rowCount: 0 };
      },
    } as unknown as Queryable;
    await getContactMembersOfEach(explaining, installId, batch);
    return { members, buffers };
  }

  it('finds each contact its members', async () => {
    const { members } = await readMembers(await installWith(600));
    assert.deepEqual(
      members,
      [1, 3, 5, 7, 9, 302, 304, 306, 308, 310, 8].map((n) => [`cus_${n}`]),
    );
  });

  it("reads about as much for a batch of a 20,000-customer install as for a 600-customer one's", async () => {
    const small = await readMembers(await installWith(600));
    const large = await readMembers(await installWith(20_000));
    assert.deepEqual(large.members, small.members);
    // An index level more, at most, for the larger install: not its thousands of pages.
    assert.ok(
      large.buffers <= small.buffers + 60,
      `the large install's batch touched ${large.buffers} buffers, the small one's ${small.buffers}`,
    );
  });
});
