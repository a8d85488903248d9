// migrate-tool as a library: the operations, their options, their results and their errors. This
// file is the versioned surface; what only the CLI needs is in src/internal.ts, which is not published.
//
//   import { migrate, migrateTenant, status } from 'migrate-tool';
//   const options = { connection: 'postgres://app@db/maindb', migrationsDir: './migrations' };
//   await migrateTenant(options, 'company_3f2a...'); // right after creating a company's schema

// --- Migrations: run, read, recover
export {
  migrate,
  rollback,
  migrateTenant,
  status,
  version,
  tenants,
  overview,
  force,
  PartialRunError,
  type Outcome,
  type RunOptions,
  type Overview,
} from './migrations/api';
export type { RunRecord, StageRecord } from './migrations/state';
export type { SparesReport } from './migrations/spares';
export type { PlanOptions } from './migrations/plan';
export type {
  EngineOptions,
  MigrationEvent,
  RunResult,
  AppliedEntry,
  FailedEntry,
  SkippedEntry,
  Direction,
} from './migrations/options';
export type { StatusReport, VersionReport, TenantStatus, TenantsSummary, MigrationStatus } from './migrations/report';
export type { ForceResult, SchemaChange } from './migrations/force';

// --- Migration files
export { createMigration, rewriteSum, type Created } from './migrations/create';
export { loadMigrations, type Migration, type MigrationFolder, type Scope } from './migrations/files';
export type { Statement } from './migrations/sql-split';

// --- Connections and errors
export type { Connection, SslMode } from './config/connection';
export type { ConnectionInput } from './db/borrowed';
export {
  MigrateToolError,
  UsageError,
  ConfigError,
  OperationError,
  isMigrateToolError,
  type ExitCode,
  type ErrorFacts,
} from './errors';
export type { Remedy, RemedyOption, RemedyOperation } from './remedy';

// --- Seed, backup, restore
export { seed, type SeedOptions, type SeedRun, type SeedEvent, type SeedReport } from './seed/api';
export type { SetResult, SeedChange } from './seed/apply';
export { backup, type BackupOptions, type BackupResult, type BackupEvent } from './backup/dump';
export { restore, type RestoreOptions, type RestoreResult, type RestoreEvent } from './backup/restore';
export { inspectArchive, type ArchiveInfo } from './backup/archive';
export { keptByRestore, type Kept } from './backup/kept';
export { listBackups, type BackupList, type BackupEntry, type ListBackupsOptions } from './backup/listing';
export { latestBackup } from './backup/retention';

// --- Diff, lint, round-trip test, drift: loaded when called (below)
export type { DiffOptions, DiffResult, ScopeDiff, DiffEvent } from './diff/generate';
export type { Written } from './diff/write';
export type { BaselineOptions, BaselineResult, BaselineFile } from './diff/baseline';
export type { Finding, LintReport } from './lint/lint';
export type { RoundtripOptions, RoundtripReport, StepResult, RoundtripEvent } from './roundtrip/roundtrip';
export type { Difference } from './db/catalog-differences';
export { DriftError } from './drift/error';
export type { DriftOptions, DriftReport, DriftGroup } from './drift/drift';
export type { LockPlan, LockPlanStep, LockPlanSchema, LockPlanOptions } from './plan/plan';

// --- Coming from another tool
export { importFolder, type ImportResult, type ImportedFile } from './import/import';
export type { Tool } from './import/types';
export { adopt, type AdoptResult, type SchemaAdoption } from './adopt/adopt';

// --- A fleet of databases
export { loadTargetsFile, type Fleet, type Target, type RolloutSpec } from './fleet/targets';
export { overFleet, type FleetOptions, type TargetOutcome } from './fleet/run';
export type { WaveItem, RolloutPlan, Candidates } from './fleet/waves';
export {
  rollout,
  type RolloutTarget,
  type RolloutReport,
  type RolloutHooks,
  type Stage,
  type StageRun,
} from './fleet/rollout';

// --- Events
import type { MigrationEvent } from './migrations/options';
import type { SeedEvent } from './seed/api';
import type { BackupEvent } from './backup/dump';
import type { RestoreEvent } from './backup/restore';
import type { DiffEvent } from './diff/generate';
import type { RoundtripEvent } from './roundtrip/roundtrip';

/**
 * Everything any operation reports while it runs, told apart by `type`. Every operation's options
 * take `onEvent`, typed with the events it can send, so one `(event: Event) => void` serves them all.
 */
export type Event = MigrationEvent | SeedEvent | BackupEvent | RestoreEvent | DiffEvent | RoundtripEvent;

// --- The heavy operations
// They load their modules (Prisma's schema engine, squawk, catalog snapshots, drift) only when called,
// so that `version` and `up`, from the CLI or an application, never pay for them.
type Lazy<M, K extends keyof M> = M[K] extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Awaited<R>>
  : never;
type DiffModule = typeof import('./diff/generate');
type WriteModule = typeof import('./diff/write');
type BaselineModule = typeof import('./diff/baseline');
type LintModule = typeof import('./lint/lint');
type RoundtripModule = typeof import('./roundtrip/roundtrip');
type DriftModule = typeof import('./drift/drift');
type PlanModule = typeof import('./plan/plan');

export const computeDiff: Lazy<DiffModule, 'computeDiff'> = async (...a) =>
  (await import('./diff/generate')).computeDiff(...a);
export const writeDiff: Lazy<WriteModule, 'writeDiff'> = async (...a) => (await import('./diff/write')).writeDiff(...a);
export const generateBaseline: Lazy<BaselineModule, 'generateBaseline'> = async (...a) =>
  (await import('./diff/baseline')).generateBaseline(...a);
export const lintFiles: Lazy<LintModule, 'lintFiles'> = async (...a) => (await import('./lint/lint')).lintFiles(...a);
export const pendingFiles: Lazy<LintModule, 'pendingFiles'> = async (...a) =>
  (await import('./lint/lint')).pendingFiles(...a);
export const roundtrip: Lazy<RoundtripModule, 'roundtrip'> = async (...a) =>
  (await import('./roundtrip/roundtrip')).roundtrip(...a);
export const drift: Lazy<DriftModule, 'drift'> = async (...a) => (await import('./drift/drift')).drift(...a);
export const plan: Lazy<PlanModule, 'plan'> = async (...a) => (await import('./plan/plan')).plan(...a);
