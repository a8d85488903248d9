// The tool's own version, for `migrate-tool --version`. The bundles get it from package.json at build
// time (scripts/build.js, scripts/single-file.js): the image carries no package.json to read at run time.
declare const MIGRATE_TOOL_VERSION: string | undefined;

export const TOOL_VERSION = typeof MIGRATE_TOOL_VERSION === 'string' ? MIGRATE_TOOL_VERSION : 'unknown (not built)';

/** `--version` (or the Go style `-version`) with no value and no command asks for the tool's version. */
export function asksForVersion(argv: string[]): boolean {
  return argv.some((a) => a === '--version' || a === '-version');
}
