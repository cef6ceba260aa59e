import { type Collection } from '../collection';
import { invalidRequest, resourceMissing } from '../errors';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export interface PageParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}

/**
 * One page of a Stripe list. Cursors are positions in the collection's order, so a cursor stays valid
 * when its object no longer matches the filter (a customer deleted between two pages of an import).
 */
export function paginate<T extends { id: string; created: number }>(
  collection: Collection<T>,
  params: PageParams,
  matches: (value: T) => boolean,
  url: string,
  objectName: string,
): ListObject<T> {
  const limit = params.limit ?? 10;
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  }
  const all = collection.ordered();
  const cursorParam = params.starting_after !== undefined ? 'starting_after' : 'ending_before';
  const cursor = params.starting_after ?? params.ending_before;
  const position = cursor === undefined ? undefined : collection.positionOf(cursor);
  if (cursor !== undefined && position === undefined) throw resourceMissing(objectName, cursor, cursorParam);

  const data: T[] = [];
  let hasMore = false;
  if (params.ending_before !== undefined && position !== undefined) {
    // Walk towards newer objects, then restore newest-first order.
    for (let i = position - 1; i >= 0; i--) {
      const value = all[i] as T;
      if (!matches(value)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(value);
    }
    data.reverse();
  } else {
    for (let i = position === undefined ? 0 : position + 1; i < all.length; i++) {
      const value = all[i] as T;
      if (!matches(value)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(value);
    }
  }
  return { object: 'list', data, has_more: hasMore, url };
}
