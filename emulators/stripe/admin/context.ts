import type Stripe from 'stripe';
import { type Clock } from '../clock';
import { type DataSet } from '../dataset';
import { invalidRequest, resourceMissing } from '../errors';
import { type EmitOptions, type EventLog } from '../event-log';
import { type Ids } from '../ids';
import { type Random } from '../random';
import { type Mode, modes } from '../types';
import { findObject } from './state';

/** What admin mutations share: both data sets, id and time sources, and the event log. */
export interface AdminContext {
  datasets: Record<Mode, DataSet>;
  ids: Ids;
  clock: Clock;
  random: Random;
  events: EventLog;
  account: Stripe.Account;
}

/** Ids are unique across modes, so admin calls find an object's data set from its id alone. */
export function locate<T>(
  context: AdminContext,
  objectName: string,
  id: string,
  find: (data: DataSet) => T | undefined,
): { data: DataSet; value: T } {
  for (const mode of modes) {
    const data = context.datasets[mode];
    const value = find(data);
    if (value !== undefined) return { data, value };
  }
  throw resourceMissing(objectName, id);
}

/** Ids given by the caller must be new in both modes, as admin calls find objects by id alone. */
export function assertNewId(context: AdminContext, id: string | undefined): void {
  if (id === undefined) return;
  if (modes.some((mode) => findObject(context.datasets[mode], id) !== undefined)) {
    throw invalidRequest(`An object with id ${id} already exists.`, 'id', 'resource_already_exists');
  }
}

/** A customer that has not been deleted. */
export function locateCustomer(context: AdminContext, id: string): { data: DataSet; value: Stripe.Customer } {
  const found = locate(context, 'customer', id, (data) => data.customers.get(id));
  if (found.data.deletedCustomers.has(id)) throw invalidRequest(`Customer ${id} has been deleted.`, 'customer');
  return found;
}

/** Emits only when the mutation asked for events (seeding writes state silently). */
export function emitIf(
  context: AdminContext,
  enabled: boolean,
  data: DataSet,
  type: Stripe.Event.Type,
  object: object,
  options?: EmitOptions,
): void {
  if (enabled) context.events.emit(data, type, object, options);
}

/**
 * Applies `mutate` to `object` and, when events are on, emits `type` with the `previous_attributes` it
 * caused. Without events nothing is copied or compared, which keeps bulk seeding fast.
 */
export function updateAndEmit<T extends object>(
  context: AdminContext,
  enabled: boolean,
  data: DataSet,
  type: Stripe.Event.Type,
  object: T,
  mutate: (object: T) => void,
): void {
  if (!enabled) {
    mutate(object);
    return;
  }
  const before = structuredClone(object);
  mutate(object);
  const previous = previousAttributes(before, object);
  if (Object.keys(previous).length > 0) context.events.emit(data, type, object, { previousAttributes: previous });
}

type Json = Record<string, unknown>;

function isHash(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Json).object !== 'list';
}

/**
 * `data.previous_attributes` of an `*.updated` event: the old values of what changed, descending into
 * plain hashes (`invoice_settings.default_payment_method`) the way Stripe reports them.
 */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const previous: Json = {};
  const old = before as Json;
  const now = after as Json;
  for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
    const was = old[key];
    const is = now[key];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    previous[key] = isHash(was) && isHash(is) ? previousAttributes(was, is) : (was ?? null);
  }
  return previous;
}
