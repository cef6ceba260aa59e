import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whether an Authorization header is `Bearer <token>`, compared in constant time. */
export function bearerTokenMatches(header: string, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header)?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}
