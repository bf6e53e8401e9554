export { type CheckedValue, type CheckReport, check, describeCheck } from './check.js';
export { ConfigError, type ConnectorConfig, connectorConfigSchema, loadConnectorConfig } from './config.js';
export { EXIT, EXIT_MEANINGS, type ExitCode, exitCodeFor, exitCodeHelp } from './exit-codes.js';
export { type ObjectFields, resolveFields, typeValue } from './object-fields.js';
export {
  type ClientOptions,
  type ObjectDescribe,
  SalesforceClient,
  SalesforceError,
  type StopKind,
  StopSync,
} from './salesforce-client.js';
export { toId18 } from './salesforce-id.js';
export { describeSummary, type SyncOptions, type SyncSummary, sync } from './sync.js';
