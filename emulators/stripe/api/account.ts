import { resourceMissing } from '../errors';
import { arrayOf, parseParams, string } from './params';
import { type ApiRequest, type Route } from './route';

function retrieveAccount({ params, account, expander }: ApiRequest): object {
  const query = parseParams(params, { expand: arrayOf(string) });
  return expander.render(account, query.expand);
}

/** `accounts.retrieve(id)`: only the account that owns the key is visible (no connected accounts). */
function retrieveAccountById(request: ApiRequest): object {
  if (request.path.id !== request.account.id) throw resourceMissing('account', request.path.id as string, 'account');
  return retrieveAccount(request);
}

export const accountRoutes: Route[] = [
  { method: 'GET', path: '/v1/account', handle: retrieveAccount },
  { method: 'GET', path: '/v1/accounts/:id', handle: retrieveAccountById },
];
