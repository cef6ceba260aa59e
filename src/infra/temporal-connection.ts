import { readFileSync } from 'node:fs';
import {
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
  type GrpcRetryOptions,
} from '@temporalio/client';
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

/** The client's (`Connection`) options: the worker's, plus gRPC retries that follow a workflow's hand-over closely. */
export function temporalClientConnectionOptions(config: TemporalConnectionConfig): ConnectionOptions {
  return { ...temporalConnectionOptions(config), interceptors: [makeGrpcRetryInterceptor(clientRetryOptions())] };
}

/** Between retries of a call refused because its workflow is closing; the SDK's defaults otherwise. */
const CLOSING_RETRY = { initialMs: 50, factor: 1.5, maxMs: 1_000 };

/**
 * The SDK's retry policy, except for a call to a workflow that is closing: while a run hands over to the next
 * (continue-as-new, which the sync workflow does every 1,000 history events), the server refuses signals with
 * RESOURCE_EXHAUSTED "workflow is closing" for the half second or so the hand-over takes. The SDK backs off every
 * RESOURCE_EXHAUSTED from 1 s (1.7 s before the first retry, as for a server shedding load), which held each webhook
 * arriving then for 1.5-2 s; retried every 50 ms growing to 1 s, the signal lands as soon as the next run takes it.
 * The number of attempts is the SDK's (10): about 6 s of hand-over, more than it ever takes.
 */
export function clientRetryOptions(): GrpcRetryOptions {
  const defaults = defaultGrpcRetryOptions();
  return {
    retryableDecider: defaults.retryableDecider,
    delayFunction: (attempt, status) =>
      workflowClosing(status)
        ? Math.min(CLOSING_RETRY.maxMs, CLOSING_RETRY.initialMs * CLOSING_RETRY.factor ** attempt)
        : defaults.delayFunction(attempt, status),
  };
}

function workflowClosing(status: { code: number; details?: string }): boolean {
  return status.code === GRPC_RESOURCE_EXHAUSTED && /workflow is closing/i.test(status.details ?? '');
}

/** gRPC's status code 8. */
const GRPC_RESOURCE_EXHAUSTED = 8;

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
