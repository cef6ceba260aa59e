import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installStatusSchema } from '../../src/status/schema';

/** The JSON example that follows `GET /installs/:id` in the integrators' doc. */
function documentedStatusExamples(): unknown[] {
  const text = readFileSync(join(__dirname, '../../docs/integration.md'), 'utf8');
  const section = text.slice(text.indexOf('**`GET /installs/:id`**'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  assert.ok(block?.[1], 'docs/integration.md has a JSON example after GET /installs/:id');
  return [JSON.parse(block[1]) as unknown];
}

describe('the status answer: one schema for the route, the tests, the scripts and the docs', () => {
  it('the documented example of GET /installs/:id is a valid answer', () => {
    for (const example of documentedStatusExamples()) installStatusSchema.parse(example);
  });

  it('refuses an answer with a field the schema does not know (the docs would not mention it)', () => {
    const [example] = documentedStatusExamples();
    const result = installStatusSchema.safeParse({ ...(example as object), stripeApiKey: 'rk_live_x' });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /stripeApiKey/);
  });
});
