/** One entry of Intercom's `error.list` envelope. */
export interface ErrorItem {
  code: string;
  message: string;
  field?: string;
}

/** Intercom's error body: every non-2xx answer (except 202/empty successes) carries one. */
export interface ErrorList {
  type: 'error.list';
  request_id: string;
  errors: ErrorItem[];
}

/** Thrown anywhere in the emulator to answer with an Intercom-shaped error; the app maps it in one place. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(requestId: string): ErrorList {
    const item: ErrorItem = { code: this.code, message: this.message };
    if (this.field !== undefined) item.field = this.field;
    return { type: 'error.list', request_id: requestId, errors: [item] };
  }
}

export const invalidParameter = (message: string, field?: string) =>
  new ApiError(400, 'parameter_invalid', message, field);

/** Intercom answers an unknown contact id with this wording on every contact-scoped endpoint. */
export const userNotFound = () => new ApiError(404, 'not_found', 'User Not Found');
