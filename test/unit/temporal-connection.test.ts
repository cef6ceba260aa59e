import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import type { GrpcRetryOptions } from '@temporalio/client';
import {
  clientRetryOptions,
  temporalClientConnectionOptions,
  temporalConnectionOptions,
  usesTemporalTls,
} from '../../src/infra/temporal-connection';

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

  describe('client gRPC retries', () => {
    const retries = clientRetryOptions();
    type Status = Parameters<GrpcRetryOptions['delayFunction']>[1];
    // gRPC status codes: 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE.
    const refused = (code: number, details: string) => ({ code, details }) as Status;
    const closing = refused(8, 'workflow operation can not be applied because workflow is closing');

    it('retry a call to a workflow handing over to its next run after 75 ms, growing to 1 s', () => {
      assert.equal(retries.retryableDecider(1, closing), true);
      assert.equal(retries.delayFunction(1, closing), 75);
      assert.equal(retries.delayFunction(9, closing), 1_000);
    });

    it("keep the SDK's backoff for other refusals: 1.7 s ± 20 % for a server shedding load, 170 ms when unavailable", () => {
      const shedding = retries.delayFunction(1, refused(8, 'namespace rate limit exceeded'));
      assert.ok(shedding >= 1_360 && shedding <= 2_040, `${shedding} ms`);
      const unavailable = retries.delayFunction(1, refused(14, 'connection refused'));
      assert.ok(unavailable >= 136 && unavailable <= 204, `${unavailable} ms`);
      assert.equal(retries.retryableDecider(1, refused(3, 'bad request')), false);
      assert.equal(retries.retryableDecider(10, closing), false);
    });

    it('are what the client connection uses; the worker connection takes no interceptors', () => {
      const config = loadConfig({});
      assert.equal(temporalClientConnectionOptions(config).interceptors?.length, 1);
      assert.equal('interceptors' in temporalConnectionOptions(config), false);
    });
  });
});
