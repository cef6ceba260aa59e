import { Router, type RouterContext } from '@koa/router';
import { z } from 'zod';
import { adminJson } from '../admin-json';
import { contactJson } from '../contact-json';
import { type ContactInput, createContact, findContact, updateContact } from '../contacts';
import {
  createDataAttribute,
  dataAttributeJson,
  listDataAttributesJson,
  updateDataAttribute,
} from '../data-attributes';
import { invalidParameter } from '../errors';
import { listEvents, trackEvent } from '../events';
import { listContacts, searchContacts } from '../search';
import type { Workspace } from '../workspace';
import { parseBody, parseWith } from './body';
import type { State } from './envelope';
import { type GateDependencies, gate } from './gate';

const optionalText = z.string().nullable().optional();

const contactWriteSchema = z.object({
  role: z.string().optional(),
  email: optionalText,
  external_id: optionalText,
  name: optionalText,
  phone: optionalText,
  custom_attributes: z.record(z.string(), z.unknown()).optional(),
});

const searchSchema = z.object({
  query: z.unknown(),
  pagination: z.object({ per_page: z.number().optional(), starting_after: z.string().optional() }).optional(),
});

const dataAttributeSchema = z.object({
  name: z.string(),
  model: z.string(),
  data_type: z.string(),
  description: z.string().optional(),
});

const dataAttributeUpdateSchema = z.object({
  archived: z.boolean().optional(),
  description: z.string().optional(),
});

const eventSchema = z.object({
  event_name: z.string().min(1),
  created_at: z.number().int(),
  id: z.string().optional(),
  user_id: z.string().optional(),
  email: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const listQuerySchema = z.object({
  per_page: z.coerce.number().int().optional(),
  starting_after: z.string().optional(),
});

const eventListQuerySchema = z.object({
  type: z.string().optional(),
  intercom_user_id: z.string().optional(),
  user_id: z.string().optional(),
  email: z.string().optional(),
  per_page: z.coerce.number().int().optional(),
  before: z.coerce.number().int().optional(),
  summary: z.string().optional(),
});

type Handler = (ctx: RouterContext<State>, workspace: Workspace) => Promise<void> | void;

/** The Intercom REST endpoints the sync service uses, each behind the gate (count, faults, auth, rate limit). */
export function createApiRouter(dependencies: GateDependencies): Router<State> {
  const router = new Router<State>();
  const route = (method: 'GET' | 'POST' | 'PUT', path: string, handler: Handler) => {
    router.register(
      path,
      [method],
      [
        gate(`${method} ${path}`, dependencies),
        (ctx: RouterContext<State>) => {
          // The gate has set the workspace or answered 401.
          if (!ctx.state.workspace) throw new Error('gate passed without a workspace');
          return handler(ctx, ctx.state.workspace);
        },
      ],
    );
  };

  route('GET', '/me', (ctx, workspace) => {
    ctx.body = adminJson(workspace);
  });

  route('POST', '/contacts', async (ctx, workspace) => {
    const body = await parseBody(ctx.req, contactWriteSchema);
    const contact = createContact(
      workspace,
      contactInput(body),
      Date.now(),
      dependencies.conditions.settings.searchLagMs,
    );
    ctx.body = contactJson(workspace, contact);
  });

  route('GET', '/contacts', (ctx, workspace) => {
    const query = parseWith(listQuerySchema, ctx.query);
    ctx.body = listContacts(workspace, { per_page: query.per_page, starting_after: query.starting_after });
  });

  route('GET', '/contacts/:id', (ctx, workspace) => {
    ctx.body = contactJson(workspace, findContact(workspace, ctx.params.id ?? ''));
  });

  route('PUT', '/contacts/:id', async (ctx, workspace) => {
    const body = await parseBody(ctx.req, contactWriteSchema);
    ctx.body = contactJson(workspace, updateContact(workspace, ctx.params.id ?? '', contactInput(body), Date.now()));
  });

  route('POST', '/contacts/search', async (ctx, workspace) => {
    ctx.body = searchContacts(workspace, await parseBody(ctx.req, searchSchema), Date.now());
  });

  route('GET', '/data_attributes', (ctx, workspace) => {
    const model = ctx.query.model;
    if (model !== undefined && !['contact', 'company', 'conversation'].includes(String(model))) {
      throw invalidParameter('model must be one of contact, company, conversation', 'model');
    }
    const includeArchived = String(ctx.query.include_archived) === 'true';
    ctx.body = listDataAttributesJson(workspace, model === undefined ? undefined : String(model), includeArchived);
  });

  route('POST', '/data_attributes', async (ctx, workspace) => {
    const body = await parseBody(ctx.req, dataAttributeSchema);
    const attribute = createDataAttribute(
      workspace,
      { name: body.name, model: body.model, dataType: body.data_type, description: body.description },
      Date.now(),
    );
    ctx.body = dataAttributeJson(workspace, attribute);
  });

  route('PUT', '/data_attributes/:id', async (ctx, workspace) => {
    const body = await parseBody(ctx.req, dataAttributeUpdateSchema);
    const id = Number(ctx.params.id);
    ctx.body = dataAttributeJson(workspace, updateDataAttribute(workspace, id, body, Date.now()));
  });

  route('GET', '/events', (ctx, workspace) => {
    const query = parseWith(eventListQuerySchema, ctx.query);
    ctx.body = listEvents(
      workspace,
      {
        type: query.type,
        intercomUserId: query.intercom_user_id,
        userId: query.user_id,
        email: query.email,
        perPage: query.per_page,
        before: query.before,
      },
      Date.now(),
      ctx.origin,
    );
  });

  route('POST', '/events', async (ctx, workspace) => {
    const body = await parseBody(ctx.req, eventSchema);
    trackEvent(
      workspace,
      {
        eventName: body.event_name,
        createdAt: body.created_at,
        id: body.id,
        userId: body.user_id,
        email: body.email,
        metadata: body.metadata,
      },
      Date.now(),
    );
    // Intercom answers 202 with an empty body; an explicit empty string stops Koa writing "Accepted".
    ctx.status = 202;
    ctx.body = '';
  });

  return router;
}

function contactInput(body: z.output<typeof contactWriteSchema>): ContactInput {
  return {
    role: body.role,
    email: body.email,
    externalId: body.external_id,
    name: body.name,
    phone: body.phone,
    customAttributes: body.custom_attributes,
  };
}
