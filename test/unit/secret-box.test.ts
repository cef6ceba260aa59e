import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/crypto/secret-box';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips, and never stores the plaintext', () => {
    const sealed = box.seal('rk_live_secret');
    assert.ok(!sealed.includes('rk_live_secret'));
    assert.notEqual(box.seal('rk_live_secret'), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed), 'rk_live_secret');
  });

  it('refuses tampered ciphertext and another key', () => {
    const sealed = box.seal('token');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    assert.throws(() => box.open(parts.join('.')));
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed));
  });
});
