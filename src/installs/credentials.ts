import type { Config } from '../config';
import type { IntercomRegion } from '../db/installs';
import { createStripeClient } from '../activities/clients/stripe';
import { createIntercomClient } from '../activities/clients/intercom';

/** A credential the service it belongs to refused; `field` names the request field to blame. */
export class CredentialRejected extends Error {
  override name = 'CredentialRejected';
  constructor(
    readonly field: 'stripe.apiKey' | 'intercom.accessToken',
    message: string,
  ) {
    super(message);
  }
}

/** Retrieves the Stripe account the key belongs to (one call, works with a restricted key). */
export async function verifyStripeKey(apiKey: string, config: Config): Promise<{ accountId: string }> {
  try {
    const account = await createStripeClient(apiKey, config).accounts.retrieveCurrent();
    return { accountId: account.id };
  } catch (err) {
    throw new CredentialRejected('stripe.apiKey', `Stripe rejected the API key: ${(err as Error).message}`);
  }
}

/** Identifies the Intercom workspace the token belongs to (`GET /me`). */
export async function verifyIntercomToken(
  token: string,
  region: IntercomRegion,
  config: Config,
): Promise<{ workspaceId: string }> {
  let workspaceId: string | undefined;
  try {
    workspaceId = (await createIntercomClient(token, region, config).admins.identify())?.app?.id_code;
  } catch (err) {
    throw new CredentialRejected(
      'intercom.accessToken',
      `Intercom rejected the access token: ${(err as Error).message}`,
    );
  }
  if (!workspaceId)
    throw new CredentialRejected('intercom.accessToken', 'Intercom did not say which workspace the token belongs to');
  return { workspaceId };
}
