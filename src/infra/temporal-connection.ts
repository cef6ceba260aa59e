import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from '../config';

export type TemporalConnectionConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_API_KEY'
>;

/**
 * What both the client (`Connection`) and the worker (`NativeConnection`) connect with: the address, and for a
 * cluster or Temporal Cloud, TLS (with the mTLS client pair when given) and the API key.
 * https://docs.temporal.io/develop/typescript/temporal-client (Connect to Temporal Cloud)
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig): {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
} {
  const certificate = config.TEMPORAL_TLS_CERT_PATH;
  const key = config.TEMPORAL_TLS_KEY_PATH;
  const ca = config.TEMPORAL_TLS_CA_PATH;
  if (!usesTemporalTls(config)) return { address: config.TEMPORAL_ADDRESS };
  const tls: TLSConfig = {
    ...(certificate && key && { clientCertPair: { crt: readFileSync(certificate), key: readFileSync(key) } }),
    ...(ca && { serverRootCACertificate: readFileSync(ca) }),
  };
  return {
    address: config.TEMPORAL_ADDRESS,
    tls,
    ...(config.TEMPORAL_API_KEY && { apiKey: config.TEMPORAL_API_KEY }),
  };
}

/**
 * A TLS frontend is a cluster or Temporal Cloud, never a dev server: `npm start` connects to it and starts nothing.
 */
export function usesTemporalTls(config: TemporalConnectionConfig): boolean {
  return (
    config.TEMPORAL_TLS ||
    config.TEMPORAL_TLS_CERT_PATH !== undefined ||
    config.TEMPORAL_TLS_CA_PATH !== undefined ||
    config.TEMPORAL_API_KEY !== undefined
  );
}
