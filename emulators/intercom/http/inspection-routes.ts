import { Router } from '@koa/router';
import { z } from 'zod';
import { type Conditions, faultChangesSchema } from '../conditions';
import { dataAttributeJson } from '../data-attributes';
import {
  contactsOf,
  eventsOf,
  seedContact,
  seedContactSchema,
  seedDataAttribute,
  seedDataAttributeSchema,
  workspaceSnapshot,
} from '../inspection';
import type { Registry } from '../registry';
import type { RequestCounts } from '../request-counts';
import { parseBody } from './body';
import type { State } from './envelope';

const createWorkspaceSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  name: z.string().min(1).optional(),
  region: z.enum(['US', 'EU', 'AU']).optional(),
  token: z.string().min(8).optional(),
});

interface InspectionDependencies {
  registry: Registry;
  counts: RequestCounts;
  conditions: Conditions;
}

/**
 * `/_emulator/...`: JSON for other processes (integration tests, the demo) to set up and inspect the emulator.
 * No auth, no counting, no faults: it is the test harness's side door, not part of Intercom's API.
 */
export function createInspectionRouter({ registry, counts, conditions }: InspectionDependencies): Router<State> {
  const router = new Router<State>({ prefix: '/_emulator' });

  router.get('/workspaces', (ctx) => {
    ctx.body = registry.list().map(({ id, name, region }) => ({ id, name, region }));
  });
  router.post('/workspaces', async (ctx) => {
    const options = await parseBody(ctx.req, createWorkspaceSchema);
    ctx.status = 201;
    ctx.body = registry.createWorkspace(options, Date.now());
  });
  router.get('/workspaces/:id', (ctx) => {
    ctx.body = workspaceSnapshot(registry.get(ctx.params.id ?? ''));
  });
  router.get('/workspaces/:id/contacts', (ctx) => {
    ctx.body = contactsOf(registry.get(ctx.params.id ?? ''));
  });
  router.post('/workspaces/:id/contacts', async (ctx) => {
    const workspace = registry.get(ctx.params.id ?? '');
    const seed = await parseBody(ctx.req, seedContactSchema);
    ctx.status = 201;
    ctx.body = seedContact(workspace, seed, Date.now());
  });
  router.get('/workspaces/:id/events', (ctx) => {
    ctx.body = eventsOf(registry.get(ctx.params.id ?? ''));
  });
  router.get('/workspaces/:id/data_attributes', (ctx) => {
    const workspace = registry.get(ctx.params.id ?? '');
    ctx.body = workspace.dataAttributes.map((attribute) => dataAttributeJson(workspace, attribute));
  });
  router.post('/workspaces/:id/data_attributes', async (ctx) => {
    const workspace = registry.get(ctx.params.id ?? '');
    const seed = await parseBody(ctx.req, seedDataAttributeSchema);
    ctx.status = 201;
    ctx.body = seedDataAttribute(workspace, seed, Date.now());
  });
  router.post('/tokens/revoke', async (ctx) => {
    const { token } = await parseBody(ctx.req, z.strictObject({ token: z.string() }));
    ctx.body = { revoked: registry.revokeToken(token) };
  });
  router.get('/counts', (ctx) => {
    const workspaceId = ctx.query.workspace_id;
    ctx.body = counts.snapshot(typeof workspaceId === 'string' ? workspaceId : undefined);
  });
  router.delete('/counts', (ctx) => {
    counts.reset();
    ctx.status = 204;
  });
  router.get('/faults', (ctx) => {
    ctx.body = conditions.snapshot();
  });
  router.post('/faults', async (ctx) => {
    conditions.update(await parseBody(ctx.req, faultChangesSchema));
    ctx.body = conditions.snapshot();
  });

  return router;
}
