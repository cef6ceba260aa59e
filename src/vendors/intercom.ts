import { IntercomClient } from 'intercom-client';
import type { Config } from '../config';

/** Where an Intercom workspace is hosted; each region has its own REST host (https://developers.intercom.com/building-apps/docs/rest-apis). */
export type IntercomRegion = 'us' | 'eu' | 'au';

const REGION_BASE: Record<IntercomRegion, string> = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
};

/**
 * An Intercom client for one workspace, pinned to API 2.14. SDK retries are off: Temporal owns retries.
 * INTERCOM_API_BASE overrides the region host (the emulator in tests and the demo).
 */
export function createIntercomClient(
  token: string,
  region: IntercomRegion,
  config: Pick<Config, 'INTERCOM_API_BASE'>,
): IntercomClient {
  return new IntercomClient({
    token,
    baseUrl: config.INTERCOM_API_BASE ?? REGION_BASE[region],
    version: '2.14',
    maxRetries: 0,
    timeoutInSeconds: 30,
  });
}
