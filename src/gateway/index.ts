// The gateway's public face: start it, and the shapes the daemon and status page read.
export { startGateway, type Gateway, type GatewayOptions } from './server.js';
export type { GatewaySnapshot } from './stats.js';
export type { RelayTiming } from './updates.js';
export type { UpdateFeed } from './feed.js';
