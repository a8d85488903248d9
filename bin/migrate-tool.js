#!/usr/bin/env node
// The `migrate-tool` command. It runs the bundled CLI (dist/cli.js). In a checkout, where src/
// sits beside it, it first rebuilds the bundle if any source is newer, so `npx migrate-tool`
// never runs stale code and needs no separate build step.
import { existsSync, readdirSync, statSync } from 'node:fs';

const dist = new URL('../dist/cli.js', import.meta.url);
const src = new URL('../src/', import.meta.url);

function newestSource() {
  // package.json too: the bundle carries its version.
  let newest = statSync(new URL('../package.json', import.meta.url)).mtimeMs;
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

if (existsSync(src) && (!existsSync(dist) || statSync(dist).mtimeMs < newestSource())) {
  const { buildAll } = await import('../scripts/build.js');
  await buildAll();
}
await import(dist.href);
