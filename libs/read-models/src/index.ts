export * from './projections/key-list';
export * from './projections/reencryption-banner';
export * from './projections/data-key-index';
export * from './codec/projected-event';
export { DEFAULT_NAMESPACE, readModelKeys, type ReadModelKeys } from './redis/keys';
export { ProjectionWriter, type BatchResult } from './redis/projection-writer';
export * from './redis/read-model-queries';
export * from './runner/projection-runner';
export { forwardCheckpoint, type ForwardCheckpoint } from './redis/forward-checkpoint';
