// The catalog seeded customers subscribe to: products, prices in every billing shape the mapping meets, coupons.
import { type StripeAdmin } from './admin/admin';
import { type CreatePriceInput } from './admin/schemas';
import { type Mode } from './types';

export type Currency = 'usd' | 'eur' | 'jpy';

interface CatalogPrice {
  id: string;
  currency: Currency;
  interval: 'week' | 'month' | 'year';
  /** Seats or units a customer plausibly buys. */
  quantity: [number, number];
  weight: number;
}

const products = [
  { id: 'prod_SeedStarter', name: 'Starter' },
  { id: 'prod_SeedPro', name: 'Pro' },
  { id: 'prod_SeedTeam', name: 'Team' },
  { id: 'prod_SeedEnterprise', name: 'Enterprise' },
  { id: 'prod_SeedApiUsage', name: 'API usage' },
  { id: 'prod_SeedStorage', name: 'Storage' },
  { id: 'prod_SeedMessages', name: 'Messages' },
  { id: 'prod_SeedSeat', name: 'Seat' },
];

/** Prices the generator subscribes customers to, with the admin input that creates each. */
export const prices: Array<CatalogPrice & { input: Omit<CreatePriceInput, 'id' | 'currency' | 'interval'> }> = [
  {
    id: 'price_SeedStarterMonthlyUsd',
    currency: 'usd',
    interval: 'month',
    quantity: [1, 1],
    weight: 20,
    input: { product: 'prod_SeedStarter', unitAmount: 900, nickname: 'Starter Monthly' },
  },
  {
    id: 'price_SeedStarterAnnualUsd',
    currency: 'usd',
    interval: 'year',
    quantity: [1, 1],
    weight: 8,
    input: { product: 'prod_SeedStarter', unitAmount: 9000, nickname: 'Starter Annual' },
  },
  {
    id: 'price_SeedProMonthlyUsd',
    currency: 'usd',
    interval: 'month',
    quantity: [1, 1],
    weight: 15,
    input: { product: 'prod_SeedPro', unitAmount: 2900, nickname: 'Pro Monthly' },
  },
  {
    id: 'price_SeedProAnnualUsd',
    currency: 'usd',
    interval: 'year',
    quantity: [1, 1],
    weight: 6,
    input: { product: 'prod_SeedPro', unitAmount: 29000, nickname: 'Pro Annual' },
  },
  {
    id: 'price_SeedProWeeklyUsd',
    currency: 'usd',
    interval: 'week',
    quantity: [1, 1],
    weight: 2,
    input: { product: 'prod_SeedPro', unitAmount: 900, nickname: 'Pro Weekly' },
  },
  // No nickname: the plan name falls back to the product's name.
  {
    id: 'price_SeedTeamSeatUsd',
    currency: 'usd',
    interval: 'month',
    quantity: [2, 25],
    weight: 8,
    input: { product: 'prod_SeedTeam', unitAmount: 1200 },
  },
  {
    id: 'price_SeedEnterpriseAnnualUsd',
    currency: 'usd',
    interval: 'year',
    quantity: [1, 1],
    weight: 1,
    input: { product: 'prod_SeedEnterprise', unitAmount: 120000, nickname: 'Enterprise' },
  },
  {
    id: 'price_SeedStorageVolumeUsd',
    currency: 'usd',
    interval: 'month',
    quantity: [1, 80],
    weight: 3,
    input: {
      product: 'prod_SeedStorage',
      nickname: 'Storage (volume)',
      tiersMode: 'volume',
      tiers: [
        { upTo: 10, unitAmount: 500 },
        { upTo: 50, unitAmount: 400 },
        { upTo: null, unitAmount: 300 },
      ],
    },
  },
  {
    id: 'price_SeedMessagesGraduatedUsd',
    currency: 'usd',
    interval: 'month',
    quantity: [1, 40],
    weight: 3,
    input: {
      product: 'prod_SeedMessages',
      nickname: 'Messages (graduated)',
      tiersMode: 'graduated',
      tiers: [
        { upTo: 5, unitAmount: 1000, flatAmount: 2000 },
        { upTo: 20, unitAmount: 800 },
        { upTo: null, unitAmount: 600 },
      ],
    },
  },
  {
    id: 'price_SeedStarterMonthlyEur',
    currency: 'eur',
    interval: 'month',
    quantity: [1, 1],
    weight: 10,
    input: { product: 'prod_SeedStarter', unitAmount: 900, nickname: 'Starter Monthly (EUR)' },
  },
  {
    id: 'price_SeedProQuarterlyEur',
    currency: 'eur',
    interval: 'month',
    quantity: [1, 1],
    weight: 5,
    input: { product: 'prod_SeedPro', unitAmount: 7900, nickname: 'Pro Quarterly (EUR)', intervalCount: 3 },
  },
  {
    id: 'price_SeedTeamSeatEur',
    currency: 'eur',
    interval: 'month',
    quantity: [2, 15],
    weight: 4,
    input: { product: 'prod_SeedTeam', unitAmount: 1100 },
  },
  {
    id: 'price_SeedProAnnualEur',
    currency: 'eur',
    interval: 'year',
    quantity: [1, 1],
    weight: 3,
    input: { product: 'prod_SeedPro', unitAmount: 27000, nickname: 'Pro Annual (EUR)' },
  },
  // JPY is zero-decimal: 1200 means ¥1,200.
  {
    id: 'price_SeedStarterMonthlyJpy',
    currency: 'jpy',
    interval: 'month',
    quantity: [1, 1],
    weight: 10,
    input: { product: 'prod_SeedStarter', unitAmount: 1200, nickname: 'Starter Monthly (JPY)' },
  },
  {
    id: 'price_SeedProAnnualJpy',
    currency: 'jpy',
    interval: 'year',
    quantity: [1, 1],
    weight: 4,
    input: { product: 'prod_SeedPro', unitAmount: 38000, nickname: 'Pro Annual (JPY)' },
  },
];

/** Per-seat add-ons that ride along some monthly plans as a second item (multi-item subscriptions). */
export const seatAddOns: Record<Currency, string | null> = {
  usd: 'price_SeedExtraSeatMonthlyUsd',
  eur: 'price_SeedExtraSeatMonthlyEur',
  jpy: null,
};

const seatAddOnInputs = [
  { id: 'price_SeedExtraSeatMonthlyUsd', currency: 'usd', unitAmount: 1000 },
  { id: 'price_SeedExtraSeatMonthlyEur', currency: 'eur', unitAmount: 900 },
] as const;

/** A coupon some subscriptions were given before it was deleted: their discounts stay (seeding deletes it last). */
export const deletedCoupon = {
  id: 'SEED_LEGACY_30_FOREVER',
  input: { percentOff: 30, duration: 'forever' as const, name: 'Legacy 30% (deleted)' },
};

/** Metered usage rides along some monthly USD subscriptions as a second item. */
export const meteredPrice = 'price_SeedApiUsageMeteredUsd';

export const coupons = [
  { id: 'SEED_20_FOREVER', currency: null, input: { percentOff: 20, duration: 'forever' as const, name: '20% off' } },
  {
    id: 'SEED_50_3MONTHS',
    currency: null,
    input: { percentOff: 50, duration: 'repeating' as const, durationInMonths: 3, name: 'Half off for 3 months' },
  },
  {
    id: 'SEED_25_ONCE',
    currency: null,
    input: { percentOff: 25, duration: 'once' as const, name: '25% off the first invoice' },
  },
  {
    id: 'SEED_USD10_FOREVER',
    currency: 'usd',
    input: { amountOff: 1000, currency: 'usd', duration: 'forever' as const, name: '$10 off' },
  },
  {
    id: 'SEED_EUR5_FOREVER',
    currency: 'eur',
    input: { amountOff: 500, currency: 'eur', duration: 'forever' as const, name: '€5 off' },
  },
];

/** Admin ids are unique across modes, so the test-mode catalog gets its own ids. */
export type CatalogId = (id: string) => string;

/** Creates the catalog in `mode` unless an earlier seeding did. */
export function ensureCatalog(admin: StripeAdmin, mode: Mode, catalogId: CatalogId, created: number): void {
  const common = { created, emitEvents: false };
  for (const product of products) {
    const id = catalogId(product.id);
    if (!admin.find(id)) admin.createProduct({ ...common, mode, name: product.name, id });
  }
  for (const price of prices) {
    if (!admin.find(catalogId(price.id)))
      admin.createPrice({
        ...common,
        ...price.input,
        id: catalogId(price.id),
        product: catalogId(price.input.product),
        currency: price.currency,
        interval: price.interval,
      });
  }
  if (!admin.find(catalogId(meteredPrice))) {
    admin.createPrice({
      ...common,
      id: catalogId(meteredPrice),
      product: catalogId('prod_SeedApiUsage'),
      currency: 'usd',
      unitAmount: 2,
      interval: 'month',
      usageType: 'metered',
      nickname: 'API calls',
    });
  }
  for (const addOn of seatAddOnInputs) {
    if (!admin.find(catalogId(addOn.id)))
      admin.createPrice({
        ...common,
        id: catalogId(addOn.id),
        product: catalogId('prod_SeedSeat'),
        currency: addOn.currency,
        unitAmount: addOn.unitAmount,
        interval: 'month',
      });
  }
  for (const coupon of [...coupons, deletedCoupon]) {
    const id = catalogId(coupon.id);
    if (!admin.find(id)) admin.createCoupon({ ...common, ...coupon.input, mode, id });
  }
}
