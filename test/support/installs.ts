import type { Pool } from 'pg';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox, type SecretBox } from '../../src/crypto/secret-box';
import { insertInstall, type Install, type NewInstall } from '../../src/db/installs';
import { randomSuffix, testConfig } from './config';

/**
 * An install row written straight to the database (no API, no vendor checks): a live install of a fresh account and
 * workspace with sealed placeholder credentials, unless `overrides` say otherwise.
 */
export async function insertTestInstall(
  pool: Pool,
  secrets: SecretBox = createSecretBox(encryptionKeyBytes(testConfig())),
  overrides: Partial<Omit<NewInstall, 'stripeApiKeySealed'>> & { stripeApiKey?: string } = {},
): Promise<Install> {
  const { stripeApiKey = 'rk_live_unused', ...rest } = overrides;
  const { install } = await insertInstall(pool, {
    id: `ins_${randomSuffix()}`,
    stripeAccountId: `acct_${randomSuffix()}`,
    livemode: true,
    stripeApiKeySealed: secrets.seal(stripeApiKey),
    intercomWorkspaceId: `ws_${randomSuffix()}`,
    intercomRegion: 'us',
    intercomTokenSealed: secrets.seal('intercom-token-unused'),
    attributePrefix: 'STRIPE_',
    matchBy: 'email',
    metadataAttributes: [],
    ...rest,
  });
  return install;
}
