import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { deleteHandledEventsOlderThan } from '../../src/db/events';
import { insertInstall, setWebhookEndpoint } from '../../src/db/installs';
import { startEventRetention } from '../../src/catch-up/retention';
import { checkSecretsAtRest } from '../../src/installs/secrets-at-rest';
import { createStripeGrant } from '../../src/credentials/stripe-access';
import { SessionStore } from '../../src/auth/sessions';
import { sessionSigner } from '../../src/auth/signing';
import { SEALED_TABLES } from '../../src/db/sealed-columns';
import { testConfig } from '../support/config';
import { randomSuffix, testLogger } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureTemporal } from '../support/temporal';

const PLAINTEXT = { key: 'rk_live_rotating', token: 'intercom-token-rotating', secret: 'whsec_rotating' };
const GRANT = { access: 'access-token-rotating', refresh: 'refresh-token-rotating' };
const SESSION = { intercom: 'session-intercom-token', stripe: 'rk_live_session_key' };

/** Issue 10 row 6 (a wrong key stops start-up; rotation with ENCRYPTION_KEYS re-seals) and stored-event retention. */
describe('secrets at rest and event retention (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  let installId: string;
  let grantId: string;
  let sessionHash: string;

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
    // Issue 16: grants and sessions hold sealed tokens too; rotation once re-sealed installs only.
    grantId = await createStripeGrant(db.pool, sealedWithOld, {
      accountId: 'acct_rotation',
      livemode: true,
      accessToken: GRANT.access,
      refreshToken: GRANT.refresh,
      expiresInSeconds: 3600,
    });
    const sessions = new SessionStore(db.pool, sessionSigner(testConfig()));
    const signedIn = await sessions.signIn(sessions.start().session, {
      workspaceId: 'ws_rotation',
      workspaceName: 'Rotation',
      region: 'us',
      adminId: 'admin_1',
      adminName: 'Ada',
      tokenSealed: sealedWithOld.seal(SESSION.intercom),
    });
    sessionHash = signedIn.session.idHash;
    await sessions.setStripe(sessionHash, {
      accountId: 'acct_rotation',
      livemode: true,
      keySealed: sealedWithOld.seal(SESSION.stripe),
      grantId,
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
  async function rawGrant(): Promise<string[]> {
    const { rows } = await db.pool.query<{ a: string; r: string }>(
      `SELECT access_token_enc AS a, refresh_token_enc AS r FROM stripe_grants WHERE id = $1`,
      [grantId],
    );
    return [rows[0]!.a, rows[0]!.r];
  }
  async function rawSession(): Promise<string[]> {
    const { rows } = await db.pool.query<{ i: string; s: string }>(
      `SELECT intercom_token_enc AS i, stripe_key_enc AS s FROM web_sessions WHERE id_hash = $1`,
      [sessionHash],
    );
    return [rows[0]!.i, rows[0]!.s];
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

  it('re-seals Stripe OAuth grants (access and refresh token) and web sessions too, each table', async () => {
    const grant = await rawGrant();
    const session = await rawSession();
    assert.deepEqual(opens(createSecretBox(newKey), grant), [GRANT.access, GRANT.refresh]);
    assert.deepEqual(opens(createSecretBox(newKey), session), [SESSION.intercom, SESSION.stripe]);
    assert.equal(opens(createSecretBox(oldKey), grant), null);
    assert.equal(opens(createSecretBox(oldKey), session), null);
  });

  it('the start-up probe covers grants and sessions: a row only the old key opens stops start-up', async () => {
    const older = randomBytes(32);
    for (const [table, column, id, idColumn] of [
      ['stripe_grants', 'refresh_token_enc', grantId, 'id'],
      ['web_sessions', 'intercom_token_enc', sessionHash, 'id_hash'],
    ] as const) {
      const { rows } = await db.pool.query<{ v: string }>(
        `SELECT ${column} AS v FROM ${table} WHERE ${idColumn} = $1`,
        [id],
      );
      const current = rows[0]!.v;
      await db.pool.query(`UPDATE ${table} SET ${column} = $2 WHERE ${idColumn} = $1`, [
        id,
        createSecretBox(older).seal('sealed-elsewhere'),
      ]);
      await assert.rejects(
        checkSecretsAtRest(db.pool, createSecretBox(newKey), testLogger()),
        (err: unknown) => err instanceof ConfigError && err.message.includes(table),
        `a ${table} row the key cannot open`,
      );
      await db.pool.query(`UPDATE ${table} SET ${column} = $2 WHERE ${idColumn} = $1`, [id, current]);
    }
    await checkSecretsAtRest(db.pool, createSecretBox(newKey), testLogger());
  });

  it('names every sealed column of the schema (a new *_enc column must join key rotation)', async () => {
    const { rows } = await db.pool.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' ORDER BY 1, 2`,
    );
    const inSchema = rows.map((row) => `${row.table_name}.${row.column_name}`);
    const rotated = SEALED_TABLES.flatMap((spec) => spec.columns.map((column) => `${spec.table}.${column}`)).sort();
    assert.deepEqual(inSchema, rotated);
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
