import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { ApiError, invalidParameter } from '../errors';

const MAX_BODY_BYTES = 1_000_000;

/** The request's JSON body; an empty body reads as `{}` (GET-style calls and bare POSTs). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'request_too_large', 'The request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidParameter('The request body is not valid JSON');
  }
}

/** Reads and validates a body; the first problem becomes a 400 naming the field, like Intercom's errors. */
export async function parseBody<Schema extends z.ZodType>(
  req: IncomingMessage,
  schema: Schema,
): Promise<z.output<Schema>> {
  return parseWith(schema, await readJson(req));
}

/** Validates query parameters the same way as a body. */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  const message = issue?.message ?? 'The request body is invalid';
  throw invalidParameter(field === '' ? message : `${field}: ${message}`, field === '' ? undefined : field);
}
