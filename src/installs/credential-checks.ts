import Stripe from 'stripe';
import { IntercomError } from 'intercom-client';
import type { Config } from '../config';
import { createStripeClient } from '../vendors/stripe';
import { createIntercomClient, type IntercomRegion } from '../vendors/intercom';

export type CredentialField = 'stripe.apiKey' | 'intercom.accessToken' | 'intercom.region';

/**
 * A credential the service it belongs to refused; `field` names the request field to blame. Messages are ours only:
 * a vendor's or a network library's message can carry the credential itself.
 */
export class CredentialRejected extends Error {
  override name = 'CredentialRejected';
  constructor(
    readonly field: CredentialField,
    message: string,
  ) {
    super(message);
  }
}

/** The vendor could not answer (429, 5xx, network): nothing is known about the credential; try again later. */
export class CredentialCheckUnavailable extends Error {
  override name = 'CredentialCheckUnavailable';
  constructor(
    readonly field: CredentialField,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What a failed check says about a credential: a 4xx (but 429) refuses it; a 429, a 5xx or no answer says nothing, so
 * the person is told to try again rather than that their credential is wrong.
 */
export function credentialCheckFailure(
  field: CredentialField,
  vendor: 'Stripe' | 'Intercom',
  what: string,
  status: number | undefined,
): CredentialRejected | CredentialCheckUnavailable {
  if (status !== undefined && status < 500 && status !== 429) {
    return new CredentialRejected(field, `${vendor} rejected the ${what} (HTTP ${status})`);
  }
  const answer = status === undefined ? 'no answer' : `HTTP ${status}`;
  return new CredentialCheckUnavailable(
    field,
    `${vendor} could not be asked about the ${what} (${answer}); try again shortly`,
  );
}

export const intercomStatusOf = (err: unknown): number | undefined =>
  err instanceof IntercomError ? err.statusCode : undefined;

/** Retrieves the Stripe account the key belongs to (one call, works with a restricted key). */
export async function verifyStripeKey(apiKey: string, config: Config): Promise<{ accountId: string }> {
  try {
    const account = await createStripeClient(apiKey, config).accounts.retrieveCurrent();
    return { accountId: account.id };
  } catch (err) {
    const status = err instanceof Stripe.errors.StripeError ? err.statusCode : undefined;
    throw credentialCheckFailure('stripe.apiKey', 'Stripe', 'API key', status);
  }
}

/** What `/me` reports as `app.region` ("US", "EU", "AU"; Intercom 2.14 reference, schema `app`). */
const REGION_OF_APP: Record<string, IntercomRegion> = { us: 'us', eu: 'eu', europe: 'eu', au: 'au', australia: 'au' };

/**
 * Identifies the Intercom workspace the token belongs to (`GET /me`) and checks it lives in the chosen region: a
 * token used against another region's host is refused there, and the data would land in the wrong region anyway.
 */
export async function verifyIntercomToken(
  token: string,
  region: IntercomRegion,
  config: Config,
): Promise<{ workspaceId: string }> {
  let app: { id_code?: string; region?: string } | undefined;
  try {
    app = (await createIntercomClient(token, region, config).admins.identify())?.app ?? undefined;
  } catch (err) {
    throw credentialCheckFailure('intercom.accessToken', 'Intercom', 'access token', intercomStatusOf(err));
  }
  if (!app?.id_code) {
    throw new CredentialRejected('intercom.accessToken', 'Intercom did not say which workspace the token belongs to');
  }
  const tokenRegion = app.region === undefined ? undefined : REGION_OF_APP[app.region.toLowerCase()];
  if (tokenRegion !== undefined && tokenRegion !== region) {
    throw new CredentialRejected(
      'intercom.region',
      `the token's workspace is in Intercom's ${tokenRegion} region, not ${region}: set intercom.region to "${tokenRegion}"`,
    );
  }
  return { workspaceId: app.id_code };
}
