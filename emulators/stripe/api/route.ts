import type Stripe from 'stripe';
import { type Clock } from '../clock';
import { type DataSet } from '../dataset';
import { type Ids } from '../ids';
import { type EndpointRules } from '../webhooks/endpoint-rules';
import { type Expander } from './expand';
import { type FormParams } from './form';

/** What a handler gets: the caller's data set (chosen by API key) and the request's decoded parameters. */
export interface ApiRequest {
  data: DataSet;
  params: FormParams;
  path: Record<string, string>;
  expander: Expander;
  account: Stripe.Account;
  ids: Ids;
  clock: Clock;
  endpointRules: EndpointRules;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** A @koa/router pattern; also the key of `requestCounts()` (`GET /v1/customers/:id`). */
  path: string;
  handle(request: ApiRequest): object;
}
