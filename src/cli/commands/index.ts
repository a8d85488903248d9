// The command registry: one file per command, each a Command object. Adding a command is
// adding a file and a line here.
import type { Command } from '../context';
import { create } from './create';
import { diff } from './diff';
import { down } from './down';
import { force } from './force';
import { hash } from './hash';
import { lint } from './lint';
import { status } from './status';
import { tenants } from './tenants';
import { test } from './test';
import { up } from './up';
import { seed } from './seed';
import { backup } from './backup';
import { backups } from './backups';
import { restore } from './restore';
import { version } from './version';
import { importCommand } from './import';
import { adopt } from './adopt';
import { drift } from './drift';
import { report } from './report';
import { plan } from './plan';

export const COMMANDS: Command[] = [
  up,
  down,
  version,
  status,
  force,
  create,
  tenants,
  hash,
  seed,
  backup,
  backups,
  restore,
  diff,
  lint,
  test,
  importCommand,
  adopt,
  drift,
  plan,
  report,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
