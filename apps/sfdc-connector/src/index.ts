export { type CheckReport, check, describeCheck } from './check.js';
export { type ConnectorConfig, connectorConfigSchema, loadConnectorConfig } from './config.js';
export { SalesforceClient, SalesforceError, StopSync } from './salesforce-client.js';
export { toId18 } from './salesforce-id.js';
export { describeSummary, type SyncSummary, sync } from './sync.js';
