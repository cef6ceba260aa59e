import { createConnection } from 'node:net';
import { Connection, type ConnectionLike } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// The SDK exports this encoder for registering search attributes (see its comment); the public index does not.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from '../logger';

type IndexedValueType = NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>;

/**
 * Custom search attributes our workflows set. Every server we start or reuse gets them registered, because a workflow
 * that sets an unregistered attribute fails its workflow task. Add new ones here.
 */
export const SEARCH_ATTRIBUTES = [defineSearchAttributeKey('InstallId', SearchAttributeType.KEYWORD)] as const;

/** The spelling `temporal server start-dev --search-attribute NAME=TYPE` expects. */
const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeNames[key.type]}`]);
}

/** `host:port` (TEMPORAL_ADDRESS) apart. */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** Whether anything accepts TCP connections there: refused fails at once, where gRPC would retry until its timeout. */
export function isPortOpen(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(splitHostPort(address));
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when a frontend answers on `address` and knows `namespace`, within `timeoutMs`. Never throws. */
export async function isTemporalReachable(address: string, namespace: string, timeoutMs = 2_000): Promise<boolean> {
  if (!(await isPortOpen(address, timeoutMs))) return false;
  let connection: Connection | undefined;
  try {
    // No retry interceptor: a probe answers for now, and its retry timers would outlive the connection it closes.
    connection = await Connection.connect({ address, connectTimeout: timeoutMs, interceptors: [] });
    const client = connection;
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Registers any of SEARCH_ATTRIBUTES the server lacks (a dev server someone started by hand, a fresh cluster). */
export async function ensureSearchAttributes(connection: ConnectionLike, namespace: string, logger: Logger) {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.systemAttributes, ...existing.customAttributes };
  const missing: Record<string, IndexedValueType> = {};
  for (const key of SEARCH_ATTRIBUTES) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type) as IndexedValueType;
    const registered = known[key.name];
    if (registered === undefined) {
      missing[key.name] = wanted;
    } else if (registered !== wanted) {
      throw new Error(`search attribute ${key.name} is registered with a type other than ${key.type}`);
    }
  }
  if (Object.keys(missing).length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  logger.info({ namespace, searchAttributes: Object.keys(missing) }, 'registered Temporal search attributes');
}
