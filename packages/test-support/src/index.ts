export {
  type ApiDatabase,
  type ApiProcess,
  apiDatabase,
  apiMain,
  type StartApiOptions,
  startApi,
} from './api-process.js';
export { type StartedProcess, type StartOptions, startProcess, type WaitOptions } from './processes.js';
export { startTcpProxy, type TcpProxy, type TcpProxyMode } from './tcp-proxy.js';
export { scaled, timeoutScale } from './timeouts.js';
