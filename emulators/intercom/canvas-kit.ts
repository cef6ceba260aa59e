import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { contactJson, type ContactJson } from './contact-json';
import type { Workspace } from './workspace';

/**
 * Intercom's side of Canvas Kit for an Inbox app (https://developers.intercom.com/docs/canvas-kit): an initialize
 * request when a teammate opens the conversation details panel, a submit request when they press a button, each signed
 * with `X-Body-Signature` (hex HMAC-SHA256 of the body keyed with the app's client secret), and the app's answer
 * checked against the documented response objects: a canvas (https://developers.intercom.com/docs/references/canvas-kit/responseobjects/canvas)
 * whose content holds components, at most 64 KB.
 */

const textStyle = z.enum(['header', 'paragraph', 'muted', 'error']);
const action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('submit') }).strict(),
  z.object({ type: z.literal('url'), url: z.string().url() }).strict(),
]);
const component = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('text'),
      id: z.string().optional(),
      text: z.string().min(1),
      style: textStyle.optional(),
      align: z.enum(['left', 'center', 'right']).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('data-table'),
      id: z.string().optional(),
      items: z
        .array(z.object({ type: z.literal('field-value'), field: z.string().min(1), value: z.string() }).strict())
        .min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('button'),
      id: z.string().min(1),
      label: z.string().min(1),
      style: z.enum(['primary', 'secondary', 'link']).optional(),
      action,
      disabled: z.boolean().optional(),
    })
    .strict(),
  z.object({ type: z.literal('divider'), id: z.string().optional() }).strict(),
  z.object({ type: z.literal('spacer'), id: z.string().optional(), size: z.string().optional() }).strict(),
]);
const canvasResponse = z
  .object({
    canvas: z
      .object({
        content: z.object({ components: z.array(component).min(1) }).strict(),
        stored_data: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
  })
  .strict();

export type EmulatedCanvas = z.infer<typeof canvasResponse>['canvas'];

const MAX_BYTES = 64 * 1024;

/** What is wrong with an app's answer by Canvas Kit's documented shapes; empty when Intercom would render it. */
export function canvasProblems(text: string): string[] {
  if (Buffer.byteLength(text, 'utf8') > MAX_BYTES) return [`answer is ${Buffer.byteLength(text)} bytes (max 64 KB)`];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return ['answer is not JSON'];
  }
  const parsed = canvasResponse.safeParse(json);
  if (parsed.success) {
    const ids = parsed.data.canvas.content.components.flatMap((one) => ('id' in one && one.id ? [one.id] : []));
    const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
    return repeated.map((id) => `component id ${id} is used twice`);
  }
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/** How the emulator signs a request: as Intercom does, with another secret, or not at all. */
export type Signing = 'valid' | 'forged' | 'unsigned';

export interface CanvasExchange {
  status: number;
  /** The answer's raw text. */
  text: string;
  /** The canvas when the answer is one Intercom would render. */
  canvas: EmulatedCanvas | null;
  /** Shape problems of a 200 answer (empty otherwise). */
  problems: string[];
  /** The exact body sent (a test can replay it). */
  sentBody: string;
  sentSignature: string | null;
}

export interface CanvasContext {
  workspaceId: string;
  region: string;
  contact: ContactJson | null;
  adminId: string;
  conversationId: string;
}

/** Sends one Canvas Kit request to the app, as Intercom would, and checks the answer. */
export async function sendCanvasRequest(
  appUrl: string,
  clientSecret: string,
  body: object,
  signing: Signing = 'valid',
): Promise<CanvasExchange> {
  const sentBody = JSON.stringify(body);
  const key = signing === 'forged' ? randomBytes(18).toString('hex') : clientSecret;
  const sentSignature = signing === 'unsigned' ? null : createHmac('sha256', key).update(sentBody).digest('hex');
  return postCanvas(appUrl, sentBody, sentSignature);
}

/** Posts a body with a given signature header (or none): for replays and hand-made requests. */
export async function postCanvas(
  appUrl: string,
  sentBody: string,
  sentSignature: string | null,
): Promise<CanvasExchange> {
  const response = await fetch(appUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(sentSignature === null ? {} : { 'x-body-signature': sentSignature }),
    },
    body: sentBody,
  });
  const text = await response.text();
  const problems = response.status === 200 ? canvasProblems(text) : [];
  const canvas =
    response.status === 200 && problems.length === 0 ? (JSON.parse(text) as { canvas: EmulatedCanvas }).canvas : null;
  return { status: response.status, text, canvas, problems, sentBody, sentSignature };
}

/** The initialize request of an Inbox app in the conversation details panel. */
export function initializeBody(context: CanvasContext): object {
  return {
    workspace_id: context.workspaceId,
    workspace_region: context.region,
    admin: { type: 'admin', id: context.adminId },
    conversation: { type: 'conversation', id: context.conversationId },
    contact: context.contact,
    customer: context.contact,
    context: { location: 'conversation_details_panel', locale: 'en' },
    card_creation_options: {},
  };
}

/** The submit request after a teammate pressed `componentId` on `currentCanvas`. */
export function submitBody(context: CanvasContext, componentId: string, currentCanvas: EmulatedCanvas): object {
  return {
    ...initializeBody(context),
    component_id: componentId,
    input_values: {},
    current_canvas: currentCanvas,
    stored_data: currentCanvas.stored_data ?? {},
  };
}

export interface CanvasRequestOptions {
  workspaceId: string;
  /** The conversation's contact (null: a conversation without one). */
  contactId: string | null;
  signing?: Signing;
}

/** Canvas Kit requests from the emulated workspace's teammates, signed with the emulated app's client secret. */
export interface CanvasKitSender {
  initialize(appUrl: string, options: CanvasRequestOptions): Promise<CanvasExchange>;
  submit(
    appUrl: string,
    options: CanvasRequestOptions & { componentId: string; currentCanvas: EmulatedCanvas },
  ): Promise<CanvasExchange>;
}

export function canvasKitSender(clientSecret: string, workspace: (id: string) => Workspace): CanvasKitSender {
  const contextOf = (options: CanvasRequestOptions): CanvasContext => {
    const found = workspace(options.workspaceId);
    const stored = options.contactId === null ? null : found.contacts.get(options.contactId);
    if (stored === undefined) throw new Error(`no contact ${options.contactId} in workspace ${options.workspaceId}`);
    const contact = stored === null ? null : contactJson(found, stored);
    return { workspaceId: found.id, region: found.region, contact, adminId: '991267', conversationId: '1' };
  };
  return {
    initialize: (appUrl, options) =>
      sendCanvasRequest(appUrl, clientSecret, initializeBody(contextOf(options)), options.signing),
    submit: (appUrl, options) =>
      sendCanvasRequest(
        appUrl,
        clientSecret,
        submitBody(contextOf(options), options.componentId, options.currentCanvas),
        options.signing,
      ),
  };
}
