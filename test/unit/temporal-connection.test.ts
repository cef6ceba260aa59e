import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { temporalConnectionOptions, usesTemporalTls } from '../../src/infra/temporal-connection';

describe('Temporal connection settings', () => {
  it('connects in plain text to a dev server by default', () => {
    const config = loadConfig({});
    assert.equal(usesTemporalTls(config), false);
    assert.deepEqual(temporalConnectionOptions(config), { address: '127.0.0.1:7233' });
  });

  it('sends an API key over TLS (Temporal Cloud)', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
      TEMPORAL_API_KEY: 'key-for-the-namespace',
    });
    assert.equal(usesTemporalTls(config), true);
    assert.deepEqual(temporalConnectionOptions(config), {
      address: 'eu-west-1.aws.api.temporal.io:7233',
      tls: {},
      apiKey: 'key-for-the-namespace',
    });
  });

  it('reads the mTLS client pair and the server CA from their files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-tls-'));
    for (const name of ['client.pem', 'client.key', 'ca.pem']) writeFileSync(path.join(dir, name), `${name} contents`);
    const options = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_TLS_CERT_PATH: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY_PATH: path.join(dir, 'client.key'),
        TEMPORAL_TLS_CA_PATH: path.join(dir, 'ca.pem'),
      }),
    );
    const tls = options.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer };
    assert.equal(tls.clientCertPair.crt.toString(), 'client.pem contents');
    assert.equal(tls.clientCertPair.key.toString(), 'client.key contents');
    assert.equal(tls.serverRootCACertificate.toString(), 'ca.pem contents');
  });

  it('turns TLS on alone with TEMPORAL_TLS=true', () => {
    assert.deepEqual(temporalConnectionOptions(loadConfig({ TEMPORAL_TLS: 'true' })).tls, {});
  });

  it('refuses a client certificate without its key, naming the missing variable', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/etc/temporal/client.pem' }),
      (error: unknown) => error instanceof ConfigError && /TEMPORAL_TLS_KEY_PATH/.test(error.message),
    );
  });
});
