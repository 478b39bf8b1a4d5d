export { EsdbEventStore } from './esdb-event-store';
export { EsdbAllSubscription, type EsdbSubscriptionSettings } from './esdb-subscription';
export { UnsupportedEventError } from './esdb-mapping';
export { openEsdbEventStore, readEventStoreUrl, type OpenEsdbEventStoreOptions } from './open-esdb-event-store';
