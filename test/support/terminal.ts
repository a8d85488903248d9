// Tests of what is drawn on a terminal run the CLI under a pseudo-terminal from `script`.
import { spawnSync } from 'node:child_process';

/** Why terminal tests cannot run here, or undefined when `script` is installed. */
export const scriptMissing =
  spawnSync('script', ['--version']).status === 0
    ? undefined
    : 'no `script` to give the CLI a pseudo-terminal: install it (Debian: apt-get install bsdutils)';
