import assert from 'node:assert/strict';
import {
  currencyDecimals,
  isZeroDecimalCurrency,
  normalizeEmail,
  toMajorUnits,
  truncateForIntercom,
} from '../../src/mapping';

describe('mapping: money', () => {
  const rows: Array<[minor: number, currency: string, major: number, why: string]> = [
    [1999, 'usd', 19.99, '1999 / 100'],
    [-1250, 'eur', -12.5, 'credit balance: -1250 / 100'],
    [100.5, 'usd', 1.01, 'half a cent rounds away from zero: 100.5 → 101 cents'],
    [-100.5, 'usd', -1.01, 'and symmetric for negatives'],
    [433333.3333, 'usd', 4333.33, 'fractional cents round to 2 decimals'],
    [1000, 'jpy', 1000, 'zero-decimal: ¥1000 is 1000'],
    [1000, 'JPY', 1000, 'currency codes compare case-insensitively'],
    [833.3333, 'jpy', 833.33, 'zero-decimal keeps 2 decimals for normalised amounts'],
    [50000, 'krw', 50000, 'KRW is zero-decimal'],
    [50000, 'ugx', 50000, 'UGX is zero-decimal for charges and prices'],
    [50000, 'isk', 500, 'ISK stays two-decimal in the API (special case)'],
    [50000, 'huf', 500, 'HUF is two-decimal except for payouts'],
    [50000, 'twd', 500, 'TWD is two-decimal except for payouts'],
    [5120, 'kwd', 5.12, 'three-decimal: 5120 / 1000'],
    [5125, 'kwd', 5.125, 'three-decimal keeps its third decimal'],
    [0, 'usd', 0, 'zero'],
  ];
  for (const [minor, currency, major, why] of rows) {
    it(`${minor} ${currency} → ${major} (${why})`, () => assert.equal(toMajorUnits(minor, currency), major));
  }

  it('knows all 16 zero-decimal currencies Stripe lists', () => {
    const zeroDecimal = [
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
    ];
    for (const code of zeroDecimal) assert.ok(isZeroDecimalCurrency(code.toLowerCase()), code);
    assert.equal(currencyDecimals('usd'), 2);
    assert.equal(currencyDecimals('bhd'), 3);
  });
});

describe('mapping: email normalisation', () => {
  const rows: Array<[raw: string | null | undefined, normalized: string | null]> = [
    ['Ada@Example.COM', 'ada@example.com'],
    ['  ada@example.com \n', 'ada@example.com'],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
  ];
  for (const [raw, normalized] of rows) {
    it(`${JSON.stringify(raw)} → ${JSON.stringify(normalized)}`, () => assert.equal(normalizeEmail(raw), normalized));
  }
});

describe('mapping: Intercom string limit', () => {
  it('keeps strings up to 255 characters and cuts longer ones at 255', () => {
    assert.equal(truncateForIntercom('a'.repeat(255)), 'a'.repeat(255));
    assert.equal(truncateForIntercom('a'.repeat(300)), 'a'.repeat(255));
  });

  it('counts UTF-16 units and never splits a surrogate pair: 300 emoji (600 units) → 127 emoji (254 units)', () => {
    const truncated = truncateForIntercom('😀'.repeat(300));
    assert.equal(truncated, '😀'.repeat(127));
    assert.equal(truncateForIntercom(`a${'😀'.repeat(200)}`), `a${'😀'.repeat(127)}`);
  });
});
