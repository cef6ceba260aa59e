/**
 * An error meant for the client: its status, code, message and field are sent as they are (src/api/errors.ts maps it).
 * Here, below the API, so that the domain (installs, customer view) can refuse a request without importing the API.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
