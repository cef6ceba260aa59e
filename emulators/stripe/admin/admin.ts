import type Stripe from 'stripe';
import { type KeyRing } from '../keys';
import { type Mode, modes } from '../types';
import { type DeliveryAttempt, type WebhookDeliverer, type WebhookOptions } from '../webhooks/deliverer';
import { checkApiVersion } from '../webhooks/endpoint-rules';
import { createCoupon, createPrice, createProduct, deleteCoupon } from './catalog';
import { type AdminContext } from './context';
import {
  addCardSource,
  attachPaymentMethod,
  attachSepaDebit,
  createCustomer,
  deleteCustomer,
  updateCustomer,
} from './customers';
import { createWebhookEndpoint, deauthorizeApplication, emitEvent } from './events';
import { captureCharge, createCharge, createInvoice, failInvoicePayment, refundCharge } from './payments';
import {
  modeInput,
  keyOptionsInput,
  type CancelSubscriptionInput,
  type CaptureInput,
  type CardInput,
  type CreateChargeInput,
  type CreateCouponInput,
  type CreateCustomerInput,
  type CreateInvoiceInput,
  type CreatePriceInput,
  type CreateProductInput,
  type CreateSubscriptionInput,
  type CreateWebhookEndpointInput,
  type DeauthorizeInput,
  type DeleteInput,
  type EmitEventInput,
  type FailInvoiceInput,
  type RefundInput,
  type SepaDebitInput,
  type UpdateCustomerInput,
  type UpdateSubscriptionInput,
} from './schemas';
import { findObject, stateView, type StripeState } from './state';
import { cancelSubscription, createSubscription, updateSubscription } from './subscriptions';

/**
 * Drives the emulated account as the Stripe dashboard or real customers would. Creation calls take a
 * `mode` (default live); later calls find the object by id. Each mutation emits and delivers the events
 * Stripe would, unless `emitEvents: false`. Results are copies.
 */
export interface StripeAdmin {
  createApiKey(mode: Mode, options?: { restricted?: boolean }): string;
  /** Later requests with the key get 401 `api_key_expired`. */
  revokeKey(key: string): boolean;
  /** The account every key belongs to. */
  account(): Stripe.Account;
  /**
   * Sets the account's default API version (the Dashboard's "upgrade"/an account created long ago): events created
   * from now on are rendered at it when listed, and sent at it to endpoints without their own version.
   */
  setDefaultApiVersion(version: string): void;
  /** The emulator clock (unix seconds). */
  now(): number;
  advanceClock(seconds: number): number;

  createCustomer(input: CreateCustomerInput): Stripe.Customer;
  updateCustomer(id: string, input: UpdateCustomerInput): Stripe.Customer;
  deleteCustomer(id: string, input?: DeleteInput): Stripe.DeletedCustomer;
  attachPaymentMethod(input: CardInput): Stripe.PaymentMethod;
  attachSepaDebit(input: SepaDebitInput): Stripe.PaymentMethod;
  addCardSource(input: CardInput): Stripe.Card;

  createProduct(input: CreateProductInput): Stripe.Product;
  createPrice(input: CreatePriceInput): Stripe.Price;
  createCoupon(input: CreateCouponInput): Stripe.Coupon;
  deleteCoupon(id: string, input?: DeleteInput): Stripe.DeletedCoupon;

  createSubscription(input: CreateSubscriptionInput): Stripe.Subscription;
  updateSubscription(id: string, input: UpdateSubscriptionInput): Stripe.Subscription;
  cancelSubscription(id: string, input?: CancelSubscriptionInput): Stripe.Subscription;

  createCharge(input: CreateChargeInput): Stripe.Charge;
  /**
   * Captures an authorization (`createCharge` with `capture: false`): all of it or `amount`, emitting
   * `charge.captured`.
   */
  captureCharge(chargeId: string, input?: CaptureInput): Stripe.Charge;
  refundCharge(chargeId: string, input?: RefundInput): Stripe.Refund;
  createInvoice(input: CreateInvoiceInput): Stripe.Invoice;
  failInvoicePayment(invoiceId: string, input?: FailInvoiceInput): Stripe.Invoice;

  deauthorizeApplication(input?: DeauthorizeInput): Stripe.Event;
  emitEvent(input: EmitEventInput): Stripe.Event;
  createWebhookEndpoint(input: CreateWebhookEndpointInput): Stripe.WebhookEndpoint & { secret: string };

  state(mode?: Mode): StripeState;
  /** Any object by id, in either mode. */
  find(id: string): object | undefined;
  deliveries(): DeliveryAttempt[];
  /** Resolves when no delivery is waiting, in flight or scheduled for retry. */
  waitForDeliveries(options?: { timeoutMs?: number }): Promise<void>;
  setWebhooksPaused(paused: boolean): void;
  configureWebhooks(options: Partial<WebhookOptions>): WebhookOptions;
}

export function createAdmin(context: AdminContext, keys: KeyRing, deliverer: WebhookDeliverer): StripeAdmin {
  return {
    createApiKey: (mode, options) => keys.create(modeInput.parse(mode), keyOptionsInput.parse(options).restricted),
    revokeKey: (key) => keys.revoke(key),
    account: () => structuredClone(context.account),
    setDefaultApiVersion: (version) => {
      checkApiVersion(version, 'version');
      context.events.defaultApiVersion = version;
    },
    now: () => context.clock.now(),
    advanceClock: (seconds) => context.clock.advance(seconds),

    createCustomer: (input) => createCustomer(context, input),
    updateCustomer: (id, input) => updateCustomer(context, id, input),
    deleteCustomer: (id, input) => deleteCustomer(context, id, input),
    attachPaymentMethod: (input) => attachPaymentMethod(context, input),
    attachSepaDebit: (input) => attachSepaDebit(context, input),
    addCardSource: (input) => addCardSource(context, input),

    createProduct: (input) => createProduct(context, input),
    createPrice: (input) => createPrice(context, input),
    createCoupon: (input) => createCoupon(context, input),
    deleteCoupon: (id, input) => deleteCoupon(context, id, input),

    createSubscription: (input) => createSubscription(context, input),
    updateSubscription: (id, input) => updateSubscription(context, id, input),
    cancelSubscription: (id, input) => cancelSubscription(context, id, input),

    createCharge: (input) => createCharge(context, input),
    captureCharge: (chargeId, input) => captureCharge(context, chargeId, input),
    refundCharge: (chargeId, input) => refundCharge(context, chargeId, input),
    createInvoice: (input) => createInvoice(context, input),
    failInvoicePayment: (invoiceId, input) => failInvoicePayment(context, invoiceId, input),

    deauthorizeApplication: (input) => deauthorizeApplication(context, input),
    emitEvent: (input) => emitEvent(context, input),
    createWebhookEndpoint: (input) => createWebhookEndpoint(context, input),

    state: (mode = 'live') => stateView(context.datasets[modeInput.parse(mode)]),
    find: (id) => modes.map((mode) => findObject(context.datasets[mode], id)).find((found) => found !== undefined),
    deliveries: () => deliverer.deliveries(),
    waitForDeliveries: (options) => deliverer.waitForIdle(options?.timeoutMs ?? 10_000),
    setWebhooksPaused: (paused) => deliverer.setPaused(paused),
    configureWebhooks: (options) => deliverer.configure(options),
  };
}
