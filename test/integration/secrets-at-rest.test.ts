import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { deleteHandledEventsOlderThan } from '../../src/db/events';
import { insertInstall, setWebhookEndpoint } from '../../src/db/installs';
import { startEventRetention } from '../../src/events/retention';
import { checkSecretsAtRest } from '../../src/installs/secrets-at-rest';
import { randomSuffix, testLogger } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureTemporal } from '../support/temporal';

const PLAINTEXT = { key: 'rk_live_rotating', token: 'intercom-token-rotating', secret: 'whsec_rotating' };

/** Issue 10 row 6 (a wrong key stops start-up; rotation with ENCRYPTION_KEYS re-seals) and stored-event retention. */
describe('secrets at rest and event retention (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  let installId: string;

  before(async () => {
    db = await createTestDatabase();
    const sealedWithOld = createSecretBox(oldKey);
    const { install } = await insertInstall(db.pool, {
      id: `ins_${randomSuffix()}`,
      stripeAccountId: 'acct_rotation',
      livemode: true,
      stripeApiKeySealed: sealedWithOld.seal(PLAINTEXT.key),
      intercomWorkspaceId: 'ws_rotation',
      intercomRegion: 'us',
      intercomTokenSealed: sealedWithOld.seal(PLAINTEXT.token),
      attributePrefix: 'STRIPE_',
      matchBy: 'email',
      metadataAttributes: [],
    });
    installId = install.id;
    await setWebhookEndpoint(db.pool, installId, {
      endpointId: 'we_1',
      secretSealed: sealedWithOld.seal(PLAINTEXT.secret),
    });
  });
  after(async () => {
    await db?.drop();
  });

  /** The install's sealed columns as stored, read without the service's code. */
  async function rawRow(): Promise<string[]> {
    const { rows } = await db.pool.query<{ k: string; t: string; w: string }>(
      `SELECT stripe_api_key_enc AS k, intercom_token_enc AS t, webhook_secret_enc AS w FROM installs WHERE id = $1`,
      [installId],
    );
    const row = rows[0];
    assert.ok(row);
    return [row.k, row.t, row.w];
  }
  const opens = (box: SecretBox, sealed: string[]) => {
    try {
      return sealed.map((value) => box.open(value));
    } catch {
      return null;
    }
  };

  it('a key that opens no stored secret stops start-up with one line naming ENCRYPTION_KEY', async () => {
    const before = await rawRow();
    await assert.rejects(
      checkSecretsAtRest(db.pool, createSecretBox(newKey), testLogger()),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^invalid configuration: ENCRYPTION_KEY: it cannot open the secrets stored for install ins_\S+; .*ENCRYPTION_KEYS=<new key>,<old key>$/.test(
          err.message,
        ),
    );
    assert.deepEqual(await rawRow(), before, 'nothing re-sealed');
  });

  it('`npm start` with that key exits 1 with the same line', async function () {
    const temporal = await ensureTemporal();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        ...process.env,
        DATABASE_URL: db.connectionString,
        DATA_DIR: path.join(tmpdir(), `sis-test-key-${randomSuffix()}`),
        ENCRYPTION_KEY: newKey.toString('hex'),
        PORT: '0',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 50_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /^invalid configuration: ENCRYPTION_KEY: it cannot open the secrets stored for [^\n]+\n$/,
    );
  });

  it('ENCRYPTION_KEYS=<new>,<old> opens old rows and re-seals them: the raw rows then open with the new key alone', async () => {
    assert.deepEqual(opens(createSecretBox(oldKey), await rawRow()), Object.values(PLAINTEXT));
    await checkSecretsAtRest(db.pool, createSecretBox([newKey, oldKey]), testLogger());
    const resealed = await rawRow();
    assert.deepEqual(opens(createSecretBox(newKey), resealed), Object.values(PLAINTEXT));
    assert.equal(opens(createSecretBox(oldKey), resealed), null, 'the old key no longer opens them');
    // Nothing left to do: a second start writes nothing.
    await checkSecretsAtRest(db.pool, createSecretBox([newKey, oldKey]), testLogger());
    assert.deepEqual(await rawRow(), resealed);
    await checkSecretsAtRest(db.pool, createSecretBox(newKey), testLogger());
  });

  describe('EVENT_RETENTION_DAYS', () => {
    async function addEvent(id: string, daysAgo: number, status: 'received' | 'processed' | 'failed') {
      await db.pool.query(
        `INSERT INTO stripe_events (install_id, event_id, type, livemode, created, payload, status, received_at)
         VALUES ($1, $2, 'customer.updated', true, now(), '{}', $3, now() - make_interval(days => $4))`,
        [installId, id, status, daysAgo],
      );
    }
    const remaining = async () =>
      (
        await db.pool.query<{ event_id: string }>(
          `SELECT event_id FROM stripe_events WHERE install_id = $1 ORDER BY event_id`,
          [installId],
        )
      ).rows.map((row) => row.event_id);

    it('deletes handled events older than the retention, in batches; keeps recent and still-pending ones', async () => {
      for (let index = 0; index < 7; index += 1) await addEvent(`evt_old_${index}`, 40, 'processed');
      await addEvent('evt_old_failed', 36, 'failed');
      await addEvent('evt_old_pending', 90, 'received');
      await addEvent('evt_recent', 34, 'processed');
      assert.equal(await deleteHandledEventsOlderThan(db.pool, 35, 3), 8);
      assert.deepEqual(await remaining(), ['evt_old_pending', 'evt_recent']);
    });

    it('runs at worker start (then hourly) and stops cleanly', async () => {
      await addEvent('evt_old_again', 50, 'processed');
      const stop = startEventRetention({ pool: db.pool, config: { EVENT_RETENTION_DAYS: 35 }, logger: testLogger() });
      await stop();
      assert.deepEqual(await remaining(), ['evt_old_pending', 'evt_recent']);
    });
  });
});
