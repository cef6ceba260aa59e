import assert from 'node:assert/strict';
import { InstallContexts } from '../../src/activities/install-context';
import { secretBoxFor } from '../../src/crypto/secret-box';
import type { Install } from '../../src/db/installs';
import { testConfig } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';

/**
 * A worker keeps API clients for the installs it used last, not for every install it ever served: an idle install
 * must not cost a worker memory (a Stripe client alone is about 45 KB).
 */
describe('install contexts', function () {
  this.timeout(60_000);
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('reuse the clients of installs in use and let go of those used longest ago', async () => {
    const config = testConfig();
    const secrets = secretBoxFor(config);
    const contexts = new InstallContexts({ pool: db.pool, config, secrets });
    const installs: Install[] = [];
    for (let i = 0; i < 200; i += 1) installs.push(await insertTestInstall(db.pool, secrets));
    const [first, second] = installs as [Install, Install];

    const firstClient = (await contexts.load(first.id)).stripe;
    assert.equal((await contexts.load(first.id)).stripe, firstClient, 'reused while in use');
    const secondClient = (await contexts.load(second.id)).stripe;
    // 198 other installs later, the first was used again along the way and the second was not.
    for (const [index, install] of installs.slice(2).entries()) {
      await contexts.load(install.id);
      if (index % 50 === 0) await contexts.load(first.id);
    }
    assert.equal((await contexts.load(first.id)).stripe, firstClient, 'kept: used recently');
    assert.notEqual((await contexts.load(second.id)).stripe, secondClient, 'let go: used longest ago, built again');
  });
});
