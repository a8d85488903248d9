// What the CLI needs beyond the public API (src/index.ts): configuration from the environment,
// redaction, exit codes, argument helpers and the words of its output. Not published: package.json
// `exports` names only the index, and nothing here is versioned. The engine never imports it.

// --- Configuration and the target
export { loadConfig, MAX_SPARES, type Config, type AppEnv, type LoadOptions } from './config/env';
export { describeTarget, redact, urlPasswords } from './config/connection';

// --- Exit codes
export { EXIT } from './errors';

// --- Arguments and defaults
export { DEFAULTS } from './migrations/options';
export { checkMigrationName } from './migrations/create';
export { changes as forceChanges } from './migrations/force';
export type { WaitingContract } from './migrations/contract';
export { TOOLS, isTool } from './import/types';
export { selectTargets } from './fleet/run';
export { checkContractsOverFleet } from './fleet/contract';
export { durationMs } from './fleet/targets';
export { parseCanary } from './fleet/waves';

// --- Client tools and the words of the output
export { describeLocks, blocksReads, blocksWrites } from './migrations/locks';
export { listFew } from './util/text';
export { toolEnv } from './backup/tools';
export { describeDifferences } from './db/catalog-differences';
export { differenceLines } from './db/catalog-differences';
