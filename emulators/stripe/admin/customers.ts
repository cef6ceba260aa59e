import type Stripe from 'stripe';
import { type z } from 'zod';
import { type DataSet } from '../dataset';
import { buildCustomer, deletedCustomer } from '../objects/customer';
import {
  buildCardPaymentMethod,
  buildCardSource,
  buildSepaDebitPaymentMethod,
  type CardFields,
} from '../objects/payment-method';
import { type AdminContext, assertNewId, emitIf, locate, locateCustomer, updateAndEmit } from './context';
import {
  cardInput,
  createCustomerInput,
  sepaDebitInput,
  deleteInput,
  updateCustomerInput,
  type CardInput,
  type CreateCustomerInput,
  type DeleteInput,
  type SepaDebitInput,
  type UpdateCustomerInput,
} from './schemas';
import { endSubscription } from './subscriptions';

export function createCustomer(context: AdminContext, raw: CreateCustomerInput): Stripe.Customer {
  const input = createCustomerInput.parse(raw);
  assertNewId(context, input.id);
  const data = context.datasets[input.mode];
  const customer = buildCustomer({
    ...input,
    id: input.id ?? context.ids.next('cus', 14),
    created: input.created ?? context.clock.now(),
    livemode: data.livemode,
    invoicePrefix: context.random.token(8).toUpperCase(),
  });
  data.customers.insert(customer);
  emitIf(context, input.emitEvents, data, 'customer.created', customer);
  return structuredClone(customer);
}

export function updateCustomer(context: AdminContext, id: string, raw: UpdateCustomerInput): Stripe.Customer {
  const input = updateCustomerInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, id);
  const methodId = input.defaultPaymentMethod;
  if (methodId != null) locate(context, 'payment_method', methodId, (set) => set.paymentMethods.get(methodId));
  updateAndEmit(context, input.emitEvents, data, 'customer.updated', customer, (target) => {
    if (input.email !== undefined) target.email = input.email;
    if (input.name !== undefined) target.name = input.name;
    if (input.description !== undefined) target.description = input.description;
    if (input.phone !== undefined) target.phone = input.phone;
    if (input.currency !== undefined) target.currency = input.currency;
    if (input.balance !== undefined) target.balance = input.balance;
    if (input.delinquent !== undefined) target.delinquent = input.delinquent;
    if (input.metadata !== undefined) target.metadata = { ...target.metadata, ...input.metadata };
    if (input.defaultPaymentMethod !== undefined)
      target.invoice_settings.default_payment_method = input.defaultPaymentMethod;
  });
  return structuredClone(customer);
}

/** Deleting a customer cancels its subscriptions at once, as Stripe does, then emits `customer.deleted`. */
export function deleteCustomer(context: AdminContext, id: string, raw?: DeleteInput): Stripe.DeletedCustomer {
  const input = deleteInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, id);
  for (const subscription of data.subscriptionsOf(id)) {
    if (subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired') {
      endSubscription(context, data, subscription, context.clock.now(), input.emitEvents);
    }
  }
  data.deletedCustomers.add(id);
  emitIf(context, input.emitEvents, data, 'customer.deleted', customer);
  return deletedCustomer(id);
}

function cardFields(
  context: AdminContext,
  prefix: string,
  customer: Stripe.Customer,
  input: z.output<typeof cardInput>,
): CardFields {
  return {
    id: context.ids.next(prefix),
    created: input.created ?? context.clock.now(),
    livemode: customer.livemode,
    customer: customer.id,
    brand: input.brand,
    expMonth: input.expMonth,
    expYear: input.expYear,
    last4: input.last4 ?? String(context.random.int(0, 9999)).padStart(4, '0'),
    funding: input.funding,
    country: input.country,
  };
}

/** Attaches a card PaymentMethod and (by default) makes it `invoice_settings.default_payment_method`. */
export function attachPaymentMethod(context: AdminContext, raw: CardInput): Stripe.PaymentMethod {
  const input = cardInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const method = buildCardPaymentMethod(cardFields(context, 'pm', customer, input));
  return attach(context, data, customer, method, input);
}

/** Attaches a SEPA Direct Debit PaymentMethod and (by default) makes it the invoice default. */
export function attachSepaDebit(context: AdminContext, raw: SepaDebitInput): Stripe.PaymentMethod {
  const input = sepaDebitInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const method = buildSepaDebitPaymentMethod({
    id: context.ids.next('pm'),
    created: input.created ?? context.clock.now(),
    livemode: customer.livemode,
    customer: customer.id,
    last4: input.last4,
    country: input.country,
  });
  return attach(context, data, customer, method, input);
}

function attach(
  context: AdminContext,
  data: DataSet,
  customer: Stripe.Customer,
  built: Stripe.PaymentMethod,
  options: { setDefault: boolean; emitEvents: boolean },
): Stripe.PaymentMethod {
  const method = data.paymentMethods.insert(built);
  emitIf(context, options.emitEvents, data, 'payment_method.attached', method);
  if (options.setDefault) {
    updateAndEmit(context, options.emitEvents, data, 'customer.updated', customer, (target) => {
      target.invoice_settings.default_payment_method = method.id;
    });
  }
  return structuredClone(method);
}

/** Adds a legacy card source; like Stripe, the first source becomes `default_source` even unasked. */
export function addCardSource(context: AdminContext, raw: CardInput): Stripe.Card {
  const input = cardInput.parse(raw);
  const { data, value: customer } = locateCustomer(context, input.customer);
  const card = buildCardSource(cardFields(context, 'card', customer, input));
  data.cards.set(card.id, card);
  emitIf(context, input.emitEvents, data, 'customer.source.created', card);
  if (input.setDefault || customer.default_source === null) {
    updateAndEmit(context, input.emitEvents, data, 'customer.updated', customer, (target) => {
      target.default_source = card.id;
    });
  }
  return structuredClone(card);
}
