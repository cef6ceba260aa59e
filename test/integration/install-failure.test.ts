import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createSyncActivities } from '../../src/activities/sync-customers';
import { IntercomUnauthorized, type IntercomGateway } from '../../src/activities/intercom-gateway';
import type { InstallContexts } from '../../src/activities/install-context';
import {
  findInstall,
  reviveFailedInstall,
  setCredentials,
  setInstallStatus,
  type Install,
} from '../../src/db/installs';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTestInstall } from '../support/installs';

/**
 * A failure no retry can fix (Intercom refusing the token) fails the install, but only while the credentials it was
 * found with are still the install's: a reconnect that replaced them during the failing call has mended it already,
 * and a late failure must not undo the reconnect (the OAuth reconnect test's intermittent timeout).
 */
describe('failing an install', function () {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  /** prepareInstall against an Intercom that refuses the token, running `meanwhile` before it answers. */
  async function prepareWithRefusedToken(install: Install, meanwhile: () => Promise<void>): Promise<unknown> {
    const intercom = {
      listContactAttributes: async () => {
        await meanwhile();
        throw new IntercomUnauthorized('Intercom refused the access token (401)');
      },
    } as unknown as IntercomGateway;
    const contexts = {
      load: async (installId: string) => ({ install: await findInstall(db.pool, installId), intercom }),
    } as unknown as InstallContexts;
    const { prepareInstall } = createSyncActivities({ pool: db.pool, lockPool: db.pool, contexts });
    // The activity's failure is expected: the SDK's warning about it would only clutter the test's output.
    const quiet = new DefaultLogger('ERROR');
    return new MockActivityEnvironment(undefined, { logger: quiet })
      .run(prepareInstall, { installId: install.id })
      .then(
        () => assert.fail('prepareInstall succeeded against a refused token'),
        (err: unknown) => err,
      );
  }

  const statusOf = async (id: string) => {
    const install = await findInstall(db.pool, id);
    return { status: install?.status, lastError: install?.lastError };
  };

  it('fails the install when its credentials are the ones refused', async () => {
    const install = await insertTestInstall(db.pool);
    const err = await prepareWithRefusedToken(install, async () => undefined);
    assert.ok(err instanceof ApplicationFailure && err.type === 'InstallFailed', String(err));
    assert.deepEqual(await statusOf(install.id), {
      status: 'failed',
      lastError: 'Intercom refused the access token (401)',
    });
  });

  it('leaves alone an install reconnected while the refused call ran', async () => {
    const install = await insertTestInstall(db.pool);
    await setInstallStatus(db.pool, install.id, 'failed', 'Intercom refused the access token (401)');
    const err = await prepareWithRefusedToken(install, async () => {
      // What a reconnect does: new credentials, then the failed install starts again.
      assert.ok(await setCredentials(db.pool, install.id, { intercomTokenSealed: 'sealed-new-token' }));
      assert.ok(await reviveFailedInstall(db.pool, install.id));
    });
    assert.ok(err instanceof ApplicationFailure && err.type === 'InstallFailed', 'the activity still fails');
    assert.deepEqual(await statusOf(install.id), { status: 'importing', lastError: null });
  });

  it('never turns a disabled install into a failed one', async () => {
    const install = await insertTestInstall(db.pool);
    await prepareWithRefusedToken(install, () => setInstallStatus(db.pool, install.id, 'disabled', 'disconnected'));
    assert.equal((await statusOf(install.id)).status, 'disabled');
  });
});
