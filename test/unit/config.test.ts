import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, encryptionKeyBytes, loadConfig } from '../../src/config';

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
});
