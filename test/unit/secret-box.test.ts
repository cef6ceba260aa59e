import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox, SecretUnreadable } from '../../src/crypto/secret-box';

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

  it('with a key ring (newest first) seals with the newest, opens with any, and tells which secrets are stale', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const sealedWithOld = createSecretBox(oldKey).seal('rk_live_old');
    const ring = createSecretBox([newKey, oldKey]);
    assert.equal(ring.open(sealedWithOld), 'rk_live_old');
    assert.equal(ring.isSealedWithNewestKey(sealedWithOld), false);
    const resealed = ring.seal('rk_live_old');
    assert.equal(ring.isSealedWithNewestKey(resealed), true);
    assert.equal(createSecretBox(newKey).open(resealed), 'rk_live_old');
    assert.throws(() => createSecretBox(oldKey).open(resealed), SecretUnreadable);
  });
});
