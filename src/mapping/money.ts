/**
 * Stripe amounts are integers in the currency's minor unit; Intercom attributes want major units.
 *
 * Source: https://docs.stripe.com/currencies (zero-decimal list and "special cases", checked 2026-11).
 * - ISK, HUF and TWD are *not* here: Stripe keeps them two-decimal in the API (ISK 100 = 1 króna, amounts must be
 *   divisible by 100; HUF/TWD are zero-decimal for payouts only).
 * - UGX is zero-decimal for charges and prices (its two-decimal quirk concerns payouts only).
 */
const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** Stripe supports these with three decimals (amounts in thousandths, last digit 0 for card payments). */
const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

const MAJOR_UNIT_DECIMALS = 2;

export function currencyDecimals(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL_CURRENCIES.has(code)) return 0;
  if (THREE_DECIMAL_CURRENCIES.has(code)) return 3;
  return 2;
}

export function isZeroDecimalCurrency(currency: string): boolean {
  return currencyDecimals(currency) === 0;
}

/**
 * Minor units to major units, rounded half away from zero to 2 decimals (3 for three-decimal currencies, so no
 * precision is lost). Zero-decimal currencies keep 2 decimals too: a monthly-normalised ¥10,000/year is ¥833.33.
 */
export function toMajorUnits(minor: number, currency: string): number {
  const currencyExponent = currencyDecimals(currency);
  const outputDecimals = Math.max(MAJOR_UNIT_DECIMALS, currencyExponent);
  // Rounding in scaled integer space avoids binary artefacts such as 1.005 * 100 = 100.49999….
  const scaled = minor * 10 ** (outputDecimals - currencyExponent);
  return roundHalfAwayFromZero(scaled) / 10 ** outputDecimals;
}

function roundHalfAwayFromZero(value: number): number {
  // Float sums like 0.1 + 0.2 land a hair off a .5 boundary; snap to 9 decimal places before rounding.
  const snapped = Number(value.toFixed(9));
  const rounded = Math.sign(snapped) * Math.round(Math.abs(snapped));
  return rounded === 0 ? 0 : rounded;
}
