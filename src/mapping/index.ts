// Pure mapping from Stripe objects to Intercom attributes (design §4) and data events (§5). No I/O.
export {
  ATTRIBUTE_DEFINITIONS,
  AttributeNameError,
  DEFAULT_ATTRIBUTE_PREFIX,
  assertValidPrefix,
  attributeDefinitions,
  attributeName,
  isValidAttributeName,
  metadataAttributeNames,
  sanitizeMetadataKey,
  type AttributeDefinition,
  type AttributeSuffix,
  type AttributeValue,
  type CustomAttributes,
  type IntercomDataType,
} from './attributes';
export { eventAtPinnedVersion } from './api-versions';
export { chargeHistory, chargeMoney, tookMoney, type ChargeMoney } from './charges';
export { referencedId } from './references';
export { brandCode, cardExpiresAt, payingMethod, type CardSummary, type PayingMethod } from './card';
export {
  EMPTY_CATALOG,
  catalogFromLists,
  catalogReferences,
  couponOf,
  priceWithTiers,
  productNameOf,
  unexpandedDiscountIds,
  type Catalog,
  type CatalogReferences,
} from './catalog';
export { pickContactCustomer, type ContactCandidate, type ContactRankingContext } from './contact';
export {
  customerAttributes,
  type ChargeHistory,
  type CustomerAttributesInput,
  type LatestChargeSummary,
} from './customer-attributes';
export { activeCoupons, applyCoupons, isDiscountActive, type ActiveCoupon } from './discounts';
export { normalizeEmail } from './email';
export {
  CATALOG_EVENT_TYPES,
  DATA_EVENT_NAME_SUFFIXES,
  DATA_EVENT_TYPES,
  EVENT_TYPES_AFFECTING_ATTRIBUTES,
  INSTALL_EVENT_TYPES,
  SUBSCRIBED_EVENT_TYPES,
  customerIdOfEvent,
  type DataEventType,
} from './event-types';
export {
  DEFAULT_EVENT_NAME_PREFIX,
  MAX_EVENT_METADATA_KEYS,
  dataEventFor,
  money,
  subscriptionsOfEvent,
  type DataEvent,
  type DataEventOptions,
  type EventMetadataValue,
  type MonetaryAmount,
} from './events';
export { attributesHash, stableStringify } from './hash';
export { intervalLabel, monthlyFactor } from './interval';
export { currencyDecimals, isZeroDecimalCurrency, roundToDecimals, toMajorUnits } from './money';
export { customerMrr, isCollectionPaused, subscriptionMonthlyValue, subscriptionMrr, type PricingContext } from './mrr';
export { billedQuantity, decimalToNumber, isMetered, itemAmountPerPeriod, priceAmountForQuantity } from './price';
export { isReservedObjectKey, metadataValue } from './metadata';
export { INTERCOM_MAX_STRING_LENGTH, truncateForIntercom } from './strings';
export {
  SUBSCRIPTION_STATUS_RANK,
  compareRankKeys,
  isOngoingSubscription,
  primaryItem,
  primarySubscription,
  scheduledCancellation,
  subscriptionAmountPerPeriod,
  subscriptionRankKey,
  subscriptionStatusRank,
  type SubscriptionRankKey,
} from './subscription';
