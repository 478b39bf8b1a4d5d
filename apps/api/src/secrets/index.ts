export { SecretsModule, type SecretsModuleOptions } from './secrets.module';
export { SecretsController, DataKeysController } from './secrets.controller';
export { summariseDataKeys, type DataKeySummary, type WrappingKeySummary } from './data-key-summary';
