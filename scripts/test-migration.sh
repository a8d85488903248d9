#!/bin/sh
# Round-trip test of the migrations folder (up, down, up, step by step) in a scratch database on
# the configured server, which it creates and drops. A thin wrapper kept for the operations
# guide's habit; `migrate-tool test` does the work. Arguments are passed on (--dir, --json).
set -eu
exec node "$(dirname "$0")/../bin/migrate-tool.js" test "$@"
