// Runs the in-process CLI in a working folder. The CLI resolves relative paths (./migrations,
// BACKUP_DIR) against the process's folder, and one test process has one: runs in the same folder
// overlap freely, a run in another folder waits until they are done, and the process goes back to
// where it was when none is left.
const home = process.cwd();
let current = home;
let running = 0;
let waiting: Array<() => void> = [];

export async function inFolder<T>(cwd: string, fn: (cwd: string) => Promise<T>): Promise<T> {
  while (running > 0 && current !== cwd) await new Promise<void>((resolve) => waiting.push(resolve));
  if (running === 0 && current !== cwd) process.chdir((current = cwd));
  running++;
  try {
    return await fn(cwd);
  } finally {
    if (--running === 0) {
      if (current !== home) process.chdir((current = home));
      const next = waiting;
      waiting = [];
      for (const resolve of next) resolve();
    }
  }
}
