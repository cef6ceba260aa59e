import assert from 'node:assert/strict';
import { attributesHash, stableStringify } from '../../src/mapping';

describe('mapping: attributes hash', () => {
  const written = {
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    custom_attributes: { STRIPE_id: 'cus_1', STRIPE_mrr: 20, STRIPE_delinquent: false, STRIPE_plan_name: null },
  };

  it('is the sha256 hex of key-sorted JSON: {} hashes like the text "{}"', () => {
    assert.equal(attributesHash({}), '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('does not depend on key order at any level', () => {
    const reordered = {
      custom_attributes: { STRIPE_plan_name: null, STRIPE_delinquent: false, STRIPE_mrr: 20, STRIPE_id: 'cus_1' },
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    };
    assert.equal(attributesHash(reordered), attributesHash(written));
    assert.equal(stableStringify(reordered), stableStringify(written));
  });

  it('changes when any written value, the email or the name changes', () => {
    const base = attributesHash(written);
    assert.notEqual(attributesHash({ ...written, email: 'ada@example.org' }), base);
    assert.notEqual(attributesHash({ ...written, name: 'Ada King' }), base);
    assert.notEqual(
      attributesHash({ ...written, custom_attributes: { ...written.custom_attributes, STRIPE_mrr: 20.01 } }),
      base,
    );
    assert.notEqual(
      attributesHash({ ...written, custom_attributes: { ...written.custom_attributes, STRIPE_plan_name: 'Pro' } }),
      base,
    );
  });

  it('tells null apart from an absent attribute (absent leaves Intercom unchanged, null clears)', () => {
    const { STRIPE_plan_name: _omitted, ...withoutPlan } = written.custom_attributes;
    assert.notEqual(attributesHash({ ...written, custom_attributes: withoutPlan }), attributesHash(written));
  });

  it('is stable across calls', () => {
    assert.equal(attributesHash(structuredClone(written)), attributesHash(written));
  });
});
