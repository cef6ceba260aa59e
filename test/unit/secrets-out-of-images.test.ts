import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Issue 16: the Dockerfile's `COPY . .` baked `.env` (where the README and compose keep ADMIN_TOKEN and
 * ENCRYPTION_KEY) into the image, and git did not ignore it either.
 */
describe('secrets stay out of images and commits', () => {
  it('.dockerignore keeps .env files and key files out of the build context', () => {
    const patterns = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['.env', '.env.*', '*.pem', '*.key']) assert.ok(patterns.includes(pattern), pattern);
  });

  it('git ignores .env and its variants', () => {
    for (const file of ['.env', '.env.production']) {
      const result = spawnSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: root });
      assert.equal(result.status, 0, `${file} is ignored`);
    }
  });
});
