import type { Install } from '../db/installs';
import { HttpError } from './errors';

/** The install a path's `:id` names, or 404 naming the field (an id that cannot be one is not looked up). */
export async function installOr404(find: (id: string) => Promise<Install | undefined>, id: string): Promise<Install> {
  const install = /^ins_[A-Za-z0-9_-]{1,40}$/.test(id) ? await find(id) : undefined;
  if (!install) throw new HttpError(404, 'not_found', `no install with id ${id}`, 'id');
  return install;
}
