import { invalidRequest, unknownParameter } from '../errors';
import { type FormParams, type FormValue } from './form';

/** Reads one decoded parameter; `param` is its wire name for error messages (`created[gt]`). */
export type Parser<T> = (value: FormValue, param: string) => T;
export type ParamSpec = Record<string, Parser<unknown>>;
export type Parsed<S extends ParamSpec> = { [K in keyof S]?: ReturnType<S[K]> };

/** Validates parameters against a spec: unknown names are rejected the way Stripe does (`parameter_unknown`). */
export function parseParams<S extends ParamSpec>(params: FormParams, spec: S, prefix?: string): Parsed<S> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    const param = prefix === undefined ? name : `${prefix}[${name}]`;
    const parser = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (parser === undefined) throw unknownParameter(param);
    // stripe-node sends null as an empty string; Stripe treats that as "not given" on reads.
    if (value !== '') out[name] = parser(value, param);
  }
  return out as Parsed<S>;
}

export const string: Parser<string> = (value, param) => {
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${param}`, param);
  return value;
};

export const integer: Parser<number> = (value, param) => {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw invalidRequest(`Invalid integer: ${String(value)}`, param, 'parameter_invalid_integer');
  }
  return Number(value);
};

export const boolean: Parser<boolean> = (value, param) => {
  if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${String(value)}`, param);
  return value === 'true';
};

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (value, param) => {
    if (typeof value !== 'string' || !values.includes(value as T)) {
      throw invalidRequest(`Invalid ${param}: must be one of ${values.join(', ')}`, param, 'parameter_invalid_string');
    }
    return value as T;
  };
}

export function arrayOf<T>(item: Parser<T>): Parser<T[]> {
  return (value, param) => {
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array`, param);
    return value.map((entry, index) => item(entry, `${param}[${index}]`));
  };
}

export function object<S extends ParamSpec>(spec: S): Parser<Parsed<S>> {
  return (value, param) => {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object`, param);
    return parseParams(value, spec, param);
  };
}

/** A hash with free-form keys, such as `metadata[key]=value`. */
export function recordOf<T>(item: Parser<T>): Parser<Record<string, T>> {
  return (value, param) => {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`Invalid object`, param);
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, item(entry, `${param}[${key}]`)]));
  };
}

/** `limit`: 1–100, as on every Stripe list. */
export const limit: Parser<number> = (value, param) => {
  const n = integer(value, param);
  if (n < 1) throw invalidRequest('This value must be greater than or equal to 1.', param);
  if (n > 100) throw invalidRequest('This value must be less than or equal to 100.', param);
  return n;
};

export interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** A timestamp filter: `created=123` or `created[gte]=…&created[lt]=…`. */
export const range: Parser<Range> = (value, param) => {
  if (typeof value === 'string') {
    const exact = integer(value, param);
    return { gte: exact, lte: exact };
  }
  return object({ gt: integer, gte: integer, lt: integer, lte: integer })(value, param);
};

export function inRange(value: number, filter: Range | undefined): boolean {
  if (filter === undefined) return true;
  return (
    (filter.gt === undefined || value > filter.gt) &&
    (filter.gte === undefined || value >= filter.gte) &&
    (filter.lt === undefined || value < filter.lt) &&
    (filter.lte === undefined || value <= filter.lte)
  );
}

/** Parameters every list endpoint takes. */
export const listParams = {
  limit,
  starting_after: string,
  ending_before: string,
  expand: arrayOf(string),
};
