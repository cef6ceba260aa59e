// Pure mapping from Stripe objects to Intercom attributes and data events (docs/ lists both with their Stripe
// sources). No I/O, so every rule is tested table-driven in test/unit.
export {
  ATTRIBUTE_DEFINITIONS,
  AttributeNameError,
  attributeDefinitions,
  attributeName,
  isValidAttributeName,
  sanitizeMetadataKey,
  type AttributeDefinition,
  type AttributeSuffix,
  type CustomAttributes,
} from './attributes';
export { eventAtPinnedVersion } from './api-versions';
export { chargeHistory, chargeMoney } from './charges';
export { referencedId } from './references';
export { cardExpiresAt } from './card';
export {
  EMPTY_CATALOG,
  catalogFromLists,
  catalogReferences,
  productNameOf,
  type Catalog,
  type CatalogReferences,
} from './catalog';
export { pickContactCustomer } from './contact';
export {
  customerAttributes,
  installCustomerAttributes,
  type ChargeHistory,
  type CustomerAttributesInput,
  type LatestChargeSummary,
} from './customer-attributes';
export { normalizeEmail } from './email';
export {
  CATALOG_EVENT_TYPES,
  DATA_EVENT_NAME_SUFFIXES,
  DATA_EVENT_TYPES,
  EVENT_TYPES_AFFECTING_ATTRIBUTES,
  INSTALL_EVENT_TYPES,
  SUBSCRIBED_EVENT_TYPES,
  customerIdOfEvent,
} from './event-types';
export {
  DEFAULT_EVENT_NAME_PREFIX,
  MAX_EVENT_METADATA_KEYS,
  dataEventFor,
  subscriptionsOfEvent,
  type DataEvent,
  type EventMetadataValue,
} from './events';
export { attributesHash, stableStringify } from './hash';
export { CURRENT_HASH_PREFIX, MAPPING_VERSION, sameWrittenContent, writtenHash } from './version';
export { intervalLabel } from './interval';
export { currencyDecimals, isZeroDecimalCurrency, toMajorUnits } from './money';
export { customerMrr, subscriptionMrr, type PricingContext } from './mrr';
export { itemAmountPerPeriod } from './price';
export { isReservedObjectKey, metadataValue } from './metadata';
export { truncateForIntercom } from './strings';
export { isOngoingSubscription, primaryItem, primarySubscription, subscriptionStatusRank } from './subscription';
