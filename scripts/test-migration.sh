#!/bin/sh
# Round-trip test of the migrations folder (up, down, up, step by step) in a scratch database on
# the configured server, which it creates and drops. A thin wrapper kept for the operations
# guide's habit; `migrate-tool test` does the work. Arguments are passed on (--dir, --json).
#
# The guide's script takes -SkipConfirmation (PowerShell style) to run without asking. This one
# never asks (the scratch database is its own), so the flag is accepted, in any case, and dropped.
set -eu
for arg in "$@"; do
  shift
  case "$arg" in
    -[Ss]kip[Cc]onfirmation | --skip-confirmation | -[Ss]kip[Cc]onfirmation:\$true) ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec node "$(dirname "$0")/../bin/migrate-tool.js" test "$@"
