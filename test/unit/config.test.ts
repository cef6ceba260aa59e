import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, encryptionKeyBytes, encryptionKeys, loadConfig } from '../../src/config';

function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

describe('config', () => {
  it('parses an empty environment into the developer-machine defaults', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.TEMPORAL_NAMESPACE, 'default');
    assert.equal(config.TEMPORAL_TASK_QUEUE, 'stripe-intercom-sync');
    assert.equal(config.EMBEDDED_POSTGRES_PORT, 5433);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.ALLOW_TEST_MODE, false);
    assert.equal(encryptionKeyBytes(config).length, 32);
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT, 3000);
  });

  it('names PORT, on one line, when it is not a port', () => {
    for (const PORT of ['abc', '70000', '-1', '3.5']) {
      const error = configErrorOf({ PORT });
      assert.match(error.message, /\bPORT\b/);
      assert.doesNotMatch(error.message, /\n/);
    }
  });

  it('keeps local activity slots below workflow task slots (each local activity holds one), naming the variable', () => {
    const config = loadConfig({});
    assert.ok(config.WORKER_LOCAL_ACTIVITY_SLOTS < config.WORKER_WORKFLOW_TASK_SLOTS);
    const error = configErrorOf({ WORKER_WORKFLOW_TASK_SLOTS: '8', WORKER_LOCAL_ACTIVITY_SLOTS: '8' });
    assert.match(
      error.message,
      /^invalid configuration: WORKER_LOCAL_ACTIVITY_SLOTS: must be below WORKER_WORKFLOW_TASK_SLOTS \(8\)/,
    );
    assert.equal(
      loadConfig({ WORKER_WORKFLOW_TASK_SLOTS: '8', WORKER_LOCAL_ACTIVITY_SLOTS: '7' }).WORKER_LOCAL_ACTIVITY_SLOTS,
      7,
    );
  });

  it('names ENCRYPTION_KEY when it is not 32 bytes of hex or base64', () => {
    for (const ENCRYPTION_KEY of ['too-short', 'ab'.repeat(31), Buffer.alloc(16).toString('base64')]) {
      assert.match(configErrorOf({ ENCRYPTION_KEY }).message, /^invalid configuration: ENCRYPTION_KEY: /);
    }
    const base64 = Buffer.alloc(32, 7).toString('base64');
    assert.deepEqual(encryptionKeyBytes(loadConfig({ ENCRYPTION_KEY: base64 })), Buffer.alloc(32, 7));
  });

  it('makes `npm start` print one line naming the variable and exit 1', function () {
    this.timeout(60_000);
    const root = path.resolve(__dirname, '../..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^invalid configuration: PORT: [^\n]+\n$/);
  });

  describe('secure defaults (issue 10 row 1)', () => {
    const strong = () => ({
      ADMIN_TOKEN: randomBytes(24).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    });
    const exposed = { PUBLIC_URL: 'https://sync.example.com' };

    it('binds loopback unless HOST says otherwise', () => {
      assert.equal(loadConfig({}).HOST, '127.0.0.1');
      assert.equal(loadConfig({ HOST: '0.0.0.0', ...strong() }).HOST, '0.0.0.0');
      assert.match(configErrorOf({ HOST: 'two words' }).message, /^invalid configuration: HOST: /);
    });

    it('keeps the development defaults working on a loopback PUBLIC_URL', () => {
      for (const PUBLIC_URL of [
        'http://127.0.0.1:3000',
        'http://localhost:3000',
        'http://[::1]:3000',
        'http://127.9.0.1',
      ]) {
        assert.doesNotThrow(() => loadConfig({ PUBLIC_URL }), PUBLIC_URL);
      }
    });

    it('refuses the default ADMIN_TOKEN off loopback, naming it on one line', () => {
      const { ENCRYPTION_KEY } = strong();
      const message = configErrorOf({ ...exposed, ENCRYPTION_KEY }).message;
      assert.match(message, /^invalid configuration: ADMIN_TOKEN: the development default is refused/);
      assert.doesNotMatch(message, /\n|ENCRYPTION_KEY/);
    });

    it('refuses the defaults when HOST binds beyond loopback, even with a loopback PUBLIC_URL (issue 16)', () => {
      for (const HOST of ['0.0.0.0', '::', '192.168.1.20']) {
        const message = configErrorOf({ HOST }).message;
        assert.match(message, new RegExp(`ADMIN_TOKEN: the development default is refused when HOST=${HOST} is not`));
        assert.match(message, /ENCRYPTION_KEY: a default or patterned key is refused/);
      }
      assert.doesNotThrow(() => loadConfig({ HOST: '127.0.0.1' }));
    });

    it('refuses a short or patterned ADMIN_TOKEN once reachable (sixteen equal characters once passed)', () => {
      const { ENCRYPTION_KEY } = strong();
      for (const ADMIN_TOKEN of [
        'a'.repeat(16),
        'a'.repeat(64),
        '1234567890'.repeat(3).slice(0, 24).replace(/[0-9]/g, 'x'),
      ]) {
        assert.match(
          configErrorOf({ ...exposed, ENCRYPTION_KEY, ADMIN_TOKEN }).message,
          /^invalid configuration: ADMIN_TOKEN: a short \(under 24 characters\) or patterned token is refused/,
        );
      }
      assert.match(
        configErrorOf({ ...exposed, ENCRYPTION_KEY, ADMIN_TOKEN: randomBytes(8).toString('hex') }).message,
        /ADMIN_TOKEN: a short/,
        '16 random hex characters are too short once reachable',
      );
      assert.doesNotThrow(() => loadConfig({ ADMIN_TOKEN: 'a'.repeat(16) }), 'on loopback any 16 characters do');
    });

    it('refuses an all-zero or patterned ENCRYPTION_KEY (or newest of ENCRYPTION_KEYS) off loopback', () => {
      const { ADMIN_TOKEN } = strong();
      const patterned = ['0'.repeat(64), '0123456789abcdef'.repeat(4), Buffer.from('a'.repeat(32)).toString('base64')];
      for (const ENCRYPTION_KEY of patterned) {
        assert.match(
          configErrorOf({ ...exposed, ADMIN_TOKEN, ENCRYPTION_KEY }).message,
          /^invalid configuration: ENCRYPTION_KEY: a default or patterned key is refused/,
        );
      }
      const ENCRYPTION_KEYS = `${'0'.repeat(64)},${strong().ENCRYPTION_KEY}`;
      assert.match(configErrorOf({ ...exposed, ADMIN_TOKEN, ENCRYPTION_KEYS }).message, /ENCRYPTION_KEYS: a default/);
    });

    it('accepts random secrets off loopback, and an old weak key behind a new one (rotating away from it)', () => {
      assert.equal(loadConfig({ ...exposed, ...strong() }).PUBLIC_URL, 'https://sync.example.com');
      const { ADMIN_TOKEN, ENCRYPTION_KEY } = strong();
      const config = loadConfig({ ...exposed, ADMIN_TOKEN, ENCRYPTION_KEYS: `${ENCRYPTION_KEY}, ${'0'.repeat(64)}` });
      assert.deepEqual(encryptionKeys(config), [Buffer.from(ENCRYPTION_KEY, 'hex'), Buffer.alloc(32)]);
      assert.deepEqual(encryptionKeyBytes(config), Buffer.from(ENCRYPTION_KEY, 'hex'));
    });

    it('refuses ENCRYPTION_KEY and ENCRYPTION_KEYS together, and a malformed key in the list', () => {
      const { ENCRYPTION_KEY } = strong();
      assert.match(configErrorOf({ ENCRYPTION_KEY, ENCRYPTION_KEYS: ENCRYPTION_KEY }).message, /not both/);
      assert.match(
        configErrorOf({ ENCRYPTION_KEYS: `${ENCRYPTION_KEY},short` }).message,
        /^invalid configuration: ENCRYPTION_KEYS: /,
      );
    });

    it("bounds EVENT_RETENTION_DAYS (default 35) above Stripe's 3 days of retries", () => {
      assert.equal(loadConfig({}).EVENT_RETENTION_DAYS, 35);
      assert.match(configErrorOf({ EVENT_RETENTION_DAYS: '2' }).message, /EVENT_RETENTION_DAYS: at least 4/);
    });

    it('makes `npm start` refuse the development secrets on a public URL with one line, exit 1', function () {
      this.timeout(60_000);
      const root = path.resolve(__dirname, '../..');
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: { ...process.env, ADMIN_TOKEN: '', ENCRYPTION_KEY: '', ENCRYPTION_KEYS: '', ...exposed },
        encoding: 'utf8',
      });
      assert.equal(result.status, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^invalid configuration: ADMIN_TOKEN: [^\n]+; ENCRYPTION_KEY: [^\n]+\n$/);
    });
  });
});
