import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Conditions, type FaultChanges, type Settings } from './conditions';
import type { ContactJson } from './contact-json';
import { createApiRouter } from './http/api-routes';
import { errorEnvelope, type State } from './http/envelope';
import { createInspectionRouter } from './http/inspection-routes';
import {
  type SeedContact,
  type SeedDataAttribute,
  type WorkspaceSnapshot,
  seedContact,
  seedDataAttribute,
  workspaceSnapshot,
} from './inspection';
import { createOAuthRouter, IntercomOAuth, type IntercomOAuthApp } from './oauth';
import { RateLimiter } from './rate-limiter';
import { type CreateWorkspaceOptions, Registry, type WorkspaceCredentials } from './registry';
import { RequestCounts } from './request-counts';

export type { FaultChanges } from './conditions';
export type { ContactJson } from './contact-json';
export type { EventRecord, WorkspaceSnapshot } from './inspection';

import { canvasKitSender, type CanvasKitSender } from './canvas-kit';
export type { CanvasExchange, EmulatedCanvas } from './canvas-kit';

export const DEFAULT_INTERCOM_EMULATOR_PORT = 12112;

export interface IntercomEmulatorOptions {
  /** Default 12112; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** New contacts stay invisible to search for this long (Intercom: minutes). Default 0. */
  searchLagMs?: number;
  /** Per token, enforced in 10-second windows of a sixth; 0 turns it off. Default 10,000 like Intercom. */
  rateLimitPerMinute?: number;
  /** Added to every API request. Default 0. */
  latencyMs?: number;
  /** Share of API requests answered 500/503 before taking effect. Default 0. */
  failureRate?: number;
}

export interface IntercomEmulator {
  /** Base URL for `new IntercomClient({ token, baseUrl: url })`. */
  url: string;
  port: number;
  close(): Promise<void>;
  createWorkspace(options?: CreateWorkspaceOptions): WorkspaceCredentials;
  /** Another access token for an existing workspace (as an OAuth install gets). */
  issueToken(workspaceId: string): string;
  /** Later requests with the token get 401. Returns whether the token existed. */
  revokeToken(token: string): boolean;
  workspace(workspaceId: string): WorkspaceSnapshot;
  /** A pre-existing contact: validated like the API, not counted, searchable at once. */
  createContact(workspaceId: string, contact: SeedContact): ContactJson;
  /** A pre-existing contact attribute (optionally archived), validated like the API, not counted. */
  createDataAttribute(workspaceId: string, attribute: SeedDataAttribute): { id?: number; name: string };
  /** Requests per endpoint (`'POST /contacts'`), over all workspaces or those made with one workspace's tokens. */
  requestCounts(workspaceId?: string): Record<string, number>;
  resetCounts(): void;
  setFaults(changes: FaultChanges): void;
  faults(): Settings & { failNextRemaining: number };
  /** The public app (OAuth client) this emulator knows; set `installUrl` for the app store's "Install now". */
  oauthApp: IntercomOAuthApp;
  /** The emulated `https://app.intercom.com/oauth`. */
  oauthUrl: string;
  /** Canvas Kit requests (initialize, submit) signed with `oauthApp.clientSecret`, answers checked. */
  canvasKit: CanvasKitSender;
}

/** Starts the Intercom REST API emulator (plus `/_emulator/...` inspection) on `host:port`. */
export async function startIntercomEmulator(options: IntercomEmulatorOptions = {}): Promise<IntercomEmulator> {
  const registry = new Registry();
  const counts = new RequestCounts();
  const conditions = new Conditions({
    searchLagMs: options.searchLagMs ?? 0,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 10_000,
    latencyMs: options.latencyMs ?? 0,
    failureRate: options.failureRate ?? 0,
  });
  const apiRouter = createApiRouter({ registry, counts, conditions, limiter: new RateLimiter() });
  const inspectionRouter = createInspectionRouter({ registry, counts, conditions });

  const app = new Koa<State>();
  app.use(errorEnvelope);
  const oauth = new IntercomOAuth(registry);
  app.use(inspectionRouter.routes());
  app.use(createOAuthRouter(oauth, registry).routes());
  app.use(apiRouter.routes());

  const host = options.host ?? '127.0.0.1';
  const server = app.listen(options.port ?? DEFAULT_INTERCOM_EMULATOR_PORT, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  const url = `http://${urlHost}:${port}`;
  return {
    url,
    oauthApp: oauth.app,
    oauthUrl: `${url}/oauth`,
    canvasKit: canvasKitSender(oauth.app.clientSecret, (id) => registry.get(id)),
    port,
    async close() {
      const closed = once(server, 'close');
      server.close();
      // Keep-alive sockets from the SDK's fetch would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
    },
    createWorkspace: (workspaceOptions = {}) => registry.createWorkspace(workspaceOptions, Date.now()),
    issueToken: (workspaceId) => registry.issueToken(workspaceId),
    revokeToken: (token) => registry.revokeToken(token),
    workspace: (workspaceId) => workspaceSnapshot(registry.get(workspaceId)),
    createContact: (workspaceId, contact) => seedContact(registry.get(workspaceId), contact, Date.now()),
    createDataAttribute: (workspaceId, attribute) =>
      seedDataAttribute(registry.get(workspaceId), attribute, Date.now()),
    requestCounts: (workspaceId) => counts.snapshot(workspaceId),
    resetCounts: () => counts.reset(),
    setFaults: (changes) => conditions.update(changes),
    faults: () => conditions.snapshot(),
  };
}
