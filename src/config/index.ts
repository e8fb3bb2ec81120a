// The config layer's public surface: the only reader of process.env and config files.
export { resolveRunConfig, buildRunConfig, resolveStateDir, readToken, RUN_DEFAULTS, type RunConfig, type RunCliOptions, type RestartPolicyName, type StandbyMode } from './run-config.js';
export { defaultStateDir } from './paths.js';
export { parseDurationMs, parseSizeBytes } from './units.js';
export { splitCommandLine } from './argv.js';
export { CONFIG_FILE_NAMES } from './file.js';
export { resolveFleetConfig, botConfigChanged, type FleetConfig, type FleetBot, type FleetCliOptions } from './fleet-config.js';
export { readFleetSources, type FleetSources, type TokenSource } from './fleet-sources.js';
export { releaseSchemas } from './schema.js';
