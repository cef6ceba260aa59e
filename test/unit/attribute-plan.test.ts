import assert from 'node:assert/strict';
import { attributeSetKey, planAttributes } from '../../src/activities/attribute-plan';
import type { ExistingAttribute } from '../../src/activities/intercom-gateway';
import { attributeDefinitions, type AttributeDefinition } from '../../src/mapping';

const wanted: AttributeDefinition[] = [
  { name: 'STRIPE_id', type: 'string', description: 'id' },
  { name: 'STRIPE_mrr', type: 'float', description: 'mrr' },
];

const custom = (name: string, type = 'string', archived = false): ExistingAttribute => ({
  name,
  type,
  custom: true,
  archived,
});

describe('attribute preparation: what Intercom would refuse', () => {
  it('creates what is missing and keeps what exists with its type', () => {
    const plan = planAttributes(wanted, [custom('STRIPE_id'), custom('name', 'string')]);
    assert.deepEqual(plan, { missing: [wanted[1]], refusals: [] });
  });

  it('refuses a type change, an archived name and a letter-case clash, naming each', () => {
    const { refusals } = planAttributes(wanted, [custom('STRIPE_id', 'integer'), custom('stripe_mrr', 'float', true)]);
    assert.equal(refusals.length, 2);
    assert.match(refusals[0] ?? '', /STRIPE_id exists as integer, expected string/);
    assert.match(refusals[1] ?? '', /STRIPE_mrr is taken by the archived attribute stripe_mrr/);
    const clash = planAttributes(wanted, [custom('STRIPE_id'), custom('Stripe_Mrr', 'float')]);
    assert.match(clash.refusals.join(), /STRIPE_mrr clashes with Stripe_Mrr/);
  });

  it('an archived attribute beside an active one of the exact name is no obstacle', () => {
    const plan = planAttributes(wanted, [
      custom('STRIPE_id'),
      custom('STRIPE_mrr', 'float'),
      custom('stripe_MRR', 'float', true),
    ]);
    assert.deepEqual(plan, { missing: [], refusals: [] });
  });

  it('counts only active custom attributes against the 250 cap', () => {
    const others = Array.from({ length: 249 }, (_, index) => custom(`other_${index}`));
    assert.deepEqual(planAttributes(wanted, [...others.slice(1), custom('STRIPE_id')]).refusals, [], 'exactly 250');
    assert.match(planAttributes(wanted, others).refusals.join(), /needs 2 new attributes .* has 249 .* archive 1/);
    const archived = others.map((attribute, index) => ({ ...attribute, archived: index < 10 }));
    assert.deepEqual(planAttributes(wanted, archived).refusals, []);
  });
});

describe('attribute preparation: the attribute set an install made ready', () => {
  const wanted = attributeDefinitions('STRIPE_', ['plan_tier']);

  it('names the attributes by name and type, whatever their order or descriptions', () => {
    const reordered = [...wanted].reverse().map((attribute) => ({ ...attribute, description: 'reworded' }));
    assert.equal(attributeSetKey(reordered), attributeSetKey(wanted));
  });

  it('changes when a release adds an attribute or changes a type, so the new one is created before it is written', () => {
    const before = wanted.filter((attribute) => !attribute.name.startsWith('STRIPE_collection_'));
    assert.equal(before.length, wanted.length - 2);
    assert.notEqual(attributeSetKey(before), attributeSetKey(wanted));
    const retyped = wanted.map((attribute) =>
      attribute.name === 'STRIPE_mrr' ? { ...attribute, type: 'string' as const } : attribute,
    );
    assert.notEqual(attributeSetKey(retyped), attributeSetKey(wanted));
    assert.notEqual(attributeSetKey(attributeDefinitions('STRIPE_', [])), attributeSetKey(wanted));
  });
});
