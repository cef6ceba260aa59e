import { type IncomingMessage } from 'node:http';
import { StripeApiError } from '../errors';

/** Request bodies are small forms or JSON; anything larger is refused rather than buffered. */
const maxBodyBytes = 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new StripeApiError(413, 'invalid_request_error', 'Request body too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
