import type { Context } from 'koa';
import { HttpError } from './errors';

/** Request bodies of the admin API and the install pages' forms are small. */
const MAX_JSON_BYTES = 64 * 1024;

/** Reads and parses a JSON request body, answering 413/415/400 for what cannot be one. */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'expected Content-Type: application/json', 'content-type');
  }
  const text = await readBoundedBody(ctx);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON', 'body');
  }
}

/** Reads an HTML form post (`application/x-www-form-urlencoded`) as name → value. */
export async function readFormBody(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new HttpError(415, 'unsupported_media_type', 'expected a form post', 'content-type');
  }
  return Object.fromEntries(new URLSearchParams(await readBoundedBody(ctx)));
}

/** The body as text, at most 64 KiB (413 beyond). */
export async function readBoundedBody(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES)
      throw new HttpError(413, 'payload_too_large', `body exceeds ${MAX_JSON_BYTES} bytes`, 'body');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
