// `up --contract` over a fleet: every target is read before a contract file runs anywhere. One
// target that lags (or cannot be read) means the previous application may still run somewhere in
// the fleet, so the contract is refused on every target and nothing is run.
import { isMigrateToolError, OperationError } from '../errors';
import { migrate } from '../migrations/api';
import { listFew } from '../util/text';
import type { EngineOptions } from '../migrations/options';
import { overFleet, type FleetOptions } from './run';
import type { Target } from './targets';

/** Throws FLEET_CONTRACT_LAGGING naming `target:schema` (and unreadable targets) when any target is not ready. */
export async function checkContractsOverFleet(
  targets: Target[],
  opts: FleetOptions,
  optionsFor: (t: Target) => EngineOptions,
): Promise<void> {
  // A dry run plans under no lock and changes nothing; its planning refuses a lagging target.
  const outcomes = await overFleet(targets, { ...opts, failFast: false }, (t) =>
    migrate(optionsFor(t), { contract: true, dryRun: true }),
  );
  const lagging: string[] = [];
  const unread: string[] = [];
  for (const { target, error, notRun } of outcomes) {
    const schemas = isMigrateToolError(error) && error.code === 'CONTRACT_LAGGING' ? error.facts?.lagging : undefined;
    if (Array.isArray(schemas)) lagging.push(...schemas.map((s) => `${target.name}:${s}`));
    else if (error || notRun) unread.push(`${target.name} (${error instanceof Error ? error.message : 'not read'})`);
  }
  if (!lagging.length && !unread.length) return;
  const parts = [
    ...(lagging.length
      ? [
          `${lagging.length} schema${lagging.length === 1 ? ' lacks' : 's lack'} a version before a contract file (${listFew(lagging)})`,
        ]
      : []),
    ...(unread.length
      ? [`${unread.length} target${unread.length === 1 ? '' : 's'} could not be read: ${unread.join('; ')}`]
      : []),
  ];
  throw new OperationError(
    `Contract files not run on any target: ${parts.join('; ')}; nothing was run`,
    'FLEET_CONTRACT_LAGGING',
    'bring every schema named up to date first (and make every target reachable), let every instance run the new application, then run the contract again',
    { facts: { lagging, unread } },
  );
}
