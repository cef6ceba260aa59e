import assert from 'node:assert/strict';
import { MAPPING_VERSION, attributesHash, sameWrittenContent, stableStringify, writtenHash } from '../../src/mapping';

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

describe('mapping: written hash (the mapping version that computed a contact)', () => {
  const written = { custom_attributes: { STRIPE_id: 'cus_1', STRIPE_mrr: 20 } };

  it('records the mapping version before the attributes hash', () => {
    assert.equal(writtenHash(written), `v${MAPPING_VERSION}:${attributesHash(written)}`);
  });

  it('tells the same content apart from the version that computed it', () => {
    // Releases before versions recorded the bare hash: the same content needs no Intercom call, only a new record.
    assert.ok(sameWrittenContent(attributesHash(written), writtenHash(written)));
    assert.ok(sameWrittenContent('v1:' + attributesHash(written), writtenHash(written)));
    assert.ok(sameWrittenContent(writtenHash(written), writtenHash(written)));
    const changed = { custom_attributes: { ...written.custom_attributes, STRIPE_collection_paused: false } };
    assert.ok(!sameWrittenContent(attributesHash(written), writtenHash(changed)));
    assert.ok(!sameWrittenContent(null, writtenHash(written)));
  });
});
