#!/usr/bin/env bash
# Builds the migrate-tool image and runs it the way an operator does, against a real PostgreSQL:
# through docker-compose.prod.yml (migrate, migrate version, seed, backup, migrate again), and from
# an application container that carries the single-file CLI (docker exec <app> ./migrate-tool up).
# Checks that the image runs as non-root and adds at most 60 MB to its Node base. Exits non-zero on
# any failure.
#
#   scripts/test-image.sh
#
# Needs, from a clone: `npm ci` run (it creates and drops the test databases through the project's
# pg), a running Docker engine on Linux (containers use the host's network), `docker compose` (v2)
# or `docker-compose` (1.28 or later), and the base image: pullable, or already on the engine.
#
# Environment (all optional):
#   TEST_DATABASE_URL  an administrator's connection; fresh databases are created and dropped there
#                      (default postgres://postgres@127.0.0.1:5432/postgres). Containers use the host's
#                      network, so 127.0.0.1 means this machine.
#   NODE_IMAGE         the base to build on (default: the Dockerfile's, node:24-trixie-slim); any Node 20
#                      or later on Debian trixie, e.g. one built locally where no registry is reachable
#   IMAGE, APP_IMAGE   the tags to build (default migrate-tool:test, migrate-tool-example-app:test)
#   COMPOSE            the compose command (default: `docker compose`, else `docker-compose`)
#   DEV_POSTGRES_IMAGE the server of docker-compose.dev.yml (default postgres:17; without it, that part
#                      is SKIPPED), DEV_POSTGRES_PORT the host port it gets (default 55432)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-migrate-tool:test}
APP_IMAGE=${APP_IMAGE:-migrate-tool-example-app:test}
ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
MAX_ADDED_MB=60
run_id="$$_$RANDOM"
work=$(mktemp -d "${TMPDIR:-/tmp}/migrate-tool-image.XXXXXX")
failures=0
skipped=()
databases=()
app_container=""

say() { printf 'test-image: %s\n' "$*"; }
pass() { printf 'test-image: ok   %s\n' "$*"; }
fail() { printf 'test-image: FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }
die() { printf 'test-image: FAIL %s\n' "$*" >&2; exit 1; }
skip() { printf 'test-image: SKIPPED %s\n' "$2"; skipped+=("$1"); }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# ---- prerequisites -------------------------------------------------------------------------------
command -v docker >/dev/null || die "no docker command on PATH"
docker info >/dev/null 2>&1 || die "no Docker engine answers: start one (e.g. systemctl start docker), then run this again"
if [[ -n ${COMPOSE:-} ]]; then read -ra compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null; then compose=(docker-compose)
else die "neither 'docker compose' nor 'docker-compose' is installed"
fi
[[ -d node_modules/pg ]] || die "node_modules/pg is missing: run npm ci first (it creates and drops the test databases)"

# SQL as the administrator, through the project's own pg (no psql needed on this machine).
admin_sql() {
  ADMIN_URL=$ADMIN_URL SQL=$1 node --input-type=module -e '
    import pg from "pg";
    const client = new pg.Client({ connectionString: process.env.ADMIN_URL });
    await client.connect();
    try { await client.query(process.env.SQL); } finally { await client.end(); }'
}

cleanup() {
  set +e
  [[ -n $app_container ]] && docker rm -f "$app_container" >/dev/null 2>&1
  [[ -n ${swarm_service:-} ]] && docker service rm "$swarm_service" >/dev/null 2>&1
  [[ -n ${swarm_started:-} ]] && docker swarm leave --force >/dev/null 2>&1
  [[ -n ${project:-} ]] && "${compose[@]}" -p "$project" -f docker-compose.prod.yml down -v >/dev/null 2>&1
  [[ -d $work/dev ]] && (cd "$work/dev" && "${compose[@]}" -p "${project}dev" -f docker-compose.dev.yml down -v >/dev/null 2>&1)
  for db in "${databases[@]}"; do admin_sql "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# The connection the containers use: the administrator's server and credentials, a fresh database.
{ IFS= read -r -d '' POSTGRES_HOST; IFS= read -r -d '' POSTGRES_PORT; IFS= read -r -d '' POSTGRES_USER
  IFS= read -r -d '' POSTGRES_PASSWORD; } < <(ADMIN_URL=$ADMIN_URL node -e '
  const u = new URL(process.env.ADMIN_URL);
  const parts = [u.hostname, u.port || "5432", decodeURIComponent(u.username) || "postgres", decodeURIComponent(u.password)];
  process.stdout.write(parts.map((p) => p + "\0").join(""));')
export POSTGRES_HOST POSTGRES_PORT POSTGRES_USER POSTGRES_PASSWORD
unset DATABASE_URL

# A fresh database with one tenant schema, so that tenant migrations run too. Not called in a
# subshell: the cleanup needs the name in `databases`.
fresh_database() {
  local name=$1
  admin_sql "CREATE DATABASE \"$name\"" || die "cannot create database $name on $POSTGRES_HOST:$POSTGRES_PORT"
  databases+=("$name")
  ADMIN_URL=$(ADMIN_URL=$ADMIN_URL DB=$name node -e 'const u = new URL(process.env.ADMIN_URL); u.pathname = "/" + process.env.DB; console.log(u.href)') \
    admin_sql "CREATE SCHEMA company_image_test" || die "cannot create a tenant schema in $name"
}

# ---- build ---------------------------------------------------------------------------------------
default_base=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
base=${NODE_IMAGE:-$default_base}
docker image inspect "$base" >/dev/null 2>&1 || docker pull "$base" >/dev/null 2>&1 \
  || die "the base image $base is not on this engine and cannot be pulled: pull it, or set NODE_IMAGE to a Node 20+ image on Debian trixie that the engine has"
say "building $IMAGE on $base"
start=$(now)
docker build --network host --build-arg "NODE_IMAGE=$base" -t "$IMAGE" . >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; die "docker build failed (last lines above)"; }
pass "built $IMAGE in $(secs "$start" "$(now)") s"

# ---- the image itself ----------------------------------------------------------------------------
uid=$(docker run --rm --entrypoint id "$IMAGE" -u)
if [[ $uid != 0 ]]; then pass "runs as non-root (uid $uid)"; else fail "the image runs as root"; fi
[[ $(docker image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.WorkingDir}}' "$IMAGE") == '["migrate-tool"] ["up"] /app' ]] \
  && pass "ENTRYPOINT migrate-tool, CMD up, WORKDIR /app" || fail "entrypoint, command or workdir is not migrate-tool / up / /app"
docker run --rm --entrypoint sh "$IMAGE" -c 'test -x /app/migrate-tool && test -d /app/migrations && test -d /app/prisma && test -d /app/seeds && test "$BACKUP_DIR" = /backups' \
  && pass "/app/migrate-tool, migrations, prisma and seeds are in the image; BACKUP_DIR=/backups" \
  || fail "/app/migrate-tool, a baked-in folder or BACKUP_DIR=/backups is missing"
docker run --rm --entrypoint sh "$IMAGE" -c 'pg_dump --version | grep -q "PostgreSQL) 17" && pg_restore --version | grep -q "PostgreSQL) 17" && psql --version | grep -q "PostgreSQL) 17"' \
  && pass "pg_dump, pg_restore and psql 17 run in the image" || fail "pg_dump, pg_restore or psql 17 does not run in the image"

latest_version=$(find migrations -name '*.up.sql' | sed -n 's|.*/\([0-9]\{14\}\)_[^/]*$|\1|p' | sort | tail -n 1)

# ---- the compose jobs, against a fresh database --------------------------------------------------
db="migrate_tool_image_compose_$run_id"
fresh_database "$db"
project="migratetooltest$$"
mkdir -p "$work/backups"
chown "$uid" "$work/backups" 2>/dev/null || chmod 0777 "$work/backups"
# The database is on this machine: the jobs use the host's network, through the override shipped for
# a database on the Docker host.
export MIGRATE_TOOL_IMAGE=$IMAGE POSTGRES_DB_PROD=$db BACKUP_VOLUME=$work/backups APP_ENV=prod
job() { "${compose[@]}" -p "$project" -f docker-compose.prod.yml -f docker-compose.host-network.yml run --rm -T "$@" 2>&1; }
say "compose: ${compose[*]}; database $db on $POSTGRES_HOST:$POSTGRES_PORT"

if out=$(job migrate) && grep -q 'Migration complete!' <<<"$out"; then pass "run --rm migrate: applied the migrations"
else printf '%s\n' "$out" >&2; fail "run --rm migrate"; fi

if out=$(job migrate version) && grep -qx "$latest_version" <<<"$out" && grep -qx 'dirty: false' <<<"$out" \
  && grep -q '^tenants: 1 matching company_%, 0 behind' <<<"$out"; then
  pass "run --rm migrate version: $latest_version, dirty: false, the tenant schema up to date"
else printf '%s\n' "$out" >&2; fail "run --rm migrate version (expected $latest_version, dirty: false, 0 tenants behind)"; fi

if out=$(job seed) && grep -q 'Seeding complete!' <<<"$out"; then pass "run --rm seed: $(grep 'Seeding complete!' <<<"$out")"
else printf '%s\n' "$out" >&2; fail "run --rm seed"; fi

if out=$(job backup); then
  dump=$(find "$work/backups" -maxdepth 1 -name "backup_${db}_*.dump" | head -n 1)
  if [[ -z $dump ]]; then printf '%s\n' "$out" >&2; fail "run --rm backup: no backup_${db}_*.dump appeared on the host"
  elif [[ $(stat -c %a "$dump") != 600 ]]; then fail "run --rm backup: $(basename "$dump") has mode $(stat -c %a "$dump"), not 600"
  elif ! docker run --rm -v "$work/backups:/backups" --entrypoint pg_restore "$IMAGE" --list "/backups/$(basename "$dump")" >/dev/null; then
    fail "run --rm backup: pg_restore --list cannot read $(basename "$dump")"
  else pass "run --rm backup: $(basename "$dump") on the host ($(stat -c %s "$dump") bytes, mode 600, readable)"; fi
else printf '%s\n' "$out" >&2; fail "run --rm backup"; fi

# The image's backup restored by the image into a fresh database of the same server: pg_dump 17's
# archive into the machine's PostgreSQL (15 here), through pg_restore's SQL script where the server is
# older than 17. Every table's row count must match the source.
db_url() { ADMIN_URL=$ADMIN_URL DB=$1 node -e 'const u = new URL(process.env.ADMIN_URL); u.pathname = "/" + process.env.DB; console.log(u.href)'; }
row_counts() {
  DB_URL=$(db_url "$1") node --input-type=module -e '
    import pg from "pg";
    const client = new pg.Client({ connectionString: process.env.DB_URL });
    await client.connect();
    try {
      const tables = await client.query(`SELECT format(\x27%I.%I\x27, schemaname, tablename) AS t FROM pg_tables
        WHERE schemaname NOT IN (\x27pg_catalog\x27, \x27information_schema\x27) ORDER BY 1`);
      for (const { t } of tables.rows) console.log(t, (await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    } finally { await client.end(); }'
}
if [[ -n ${dump:-} ]]; then
  restore_db="migrate_tool_image_restore_$run_id"
  fresh_database "$restore_db"
  server_major=$(DB_URL=$ADMIN_URL node --input-type=module -e '
    import pg from "pg";
    const c = new pg.Client({ connectionString: process.env.DB_URL }); await c.connect();
    console.log(Math.floor((await c.query("SHOW server_version_num")).rows[0].server_version_num / 10000)); await c.end();')
  if out=$(docker run --rm --network host -v "$work/backups:/backups" -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD \
      -e "POSTGRES_DB_PROD=$restore_db" "$IMAGE" restore "/backups/$(basename "$dump")" 2>&1) \
    && grep -qx "$latest_version" <<<"$out" \
    && { ((server_major >= 17)) || grep -q 'restored through its SQL script and psql, in one transaction' <<<"$out"; } \
    && [[ $(row_counts "$db") == "$(row_counts "$restore_db")" ]] && [[ -n $(row_counts "$restore_db") ]]; then
    pass "restore in the image: the pg_dump 17 backup restored into PostgreSQL $server_major, version $latest_version, every table's rows"
  else printf '%s\n' "$out" >&2; fail "restore of the image's backup into PostgreSQL $server_major (a fresh database)"; fi
fi

if out=$(job migrate) && grep -qx 'no change' <<<"$out"; then pass "run --rm migrate again: no change"
else printf '%s\n' "$out" >&2; fail "run --rm migrate again (expected 'no change')"; fi

# ---- the commands that need more than Node: Prisma's wasm engines (diff, test) and squawk (lint) --
in_image() { docker run --rm --network host -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD \
  -e "POSTGRES_DB_PROD=$db" "$IMAGE" "$@" 2>&1; }
if out=$(in_image diff image_check --dry-run); then pass "diff --dry-run runs in the image (Prisma's schema engine): $(tail -n 1 <<<"$out")"
else printf '%s\n' "$out" >&2; fail "diff --dry-run in the image"; fi
mapfile -t up_files < <(find migrations -name '*.up.sql' | sort)
if out=$(in_image lint "${up_files[@]}"); then pass "lint runs in the image (squawk): $(tail -n 1 <<<"$out")"
else printf '%s\n' "$out" >&2; fail "lint of the baked-in migrations in the image"; fi
if out=$(in_image test); then pass "test runs in the image: $(tail -n 1 <<<"$out")"
else printf '%s\n' "$out" >&2; fail "test (round trip) in the image"; fi

# ---- an application container that carries the single-file CLI ----------------------------------
say "building $APP_IMAGE (examples/app) from $IMAGE"
docker build --network host --build-arg "MIGRATE_TOOL_IMAGE=$IMAGE" --build-arg "NODE_IMAGE=$base" -t "$APP_IMAGE" examples/app >"$work/app-build.log" 2>&1 \
  || { tail -n 40 "$work/app-build.log" >&2; die "docker build of examples/app failed"; }
app_db="migrate_tool_image_app_$run_id"
fresh_database "$app_db"
app_container="migrate-tool-example-app-$$"
docker run -d --name "$app_container" --network host -e PORT=0 \
  -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD -e "POSTGRES_DB_PROD=$app_db" -e APP_ENV=prod \
  "$APP_IMAGE" >/dev/null
if out=$(docker exec "$app_container" ./migrate-tool up 2>&1) && grep -q 'Migration complete!' <<<"$out" \
  && out2=$(docker exec "$app_container" sh -c './migrate-tool version' 2>&1) && grep -qx "$latest_version" <<<"$out2"; then
  pass "docker exec <app> ./migrate-tool up: migrated its database to $latest_version (then sh -c './migrate-tool version', as Dokploy runs it)"
else printf '%s\n%s\n' "$out" "${out2:-}" >&2; fail "docker exec <app> ./migrate-tool up"; fi
# docs/deployment.md (Dokploy) schedules seed in the application's container too.
if out=$(docker exec "$app_container" sh -c './migrate-tool seed' 2>&1) && grep -q 'Seeding complete!' <<<"$out"; then
  pass "docker exec <app> sh -c './migrate-tool seed': $(tail -n 1 <<<"$out")"
else printf '%s\n' "$out" >&2; fail "docker exec <app> ./migrate-tool seed (the Dokploy schedule)"; fi
# The application's image has no pg_dump: backup there fails, and its advice is the migrate-tool
# image's backup job, not a package to install into a running container.
if out=$(docker exec "$app_container" ./migrate-tool backup 2>&1); then fail "docker exec <app> ./migrate-tool backup succeeded, in an image without pg_dump"
elif grep -q 'pg_dump was not found on PATH' <<<"$out" && grep -q 'run --rm backup' <<<"$out" && ! grep -q 'apt-get' <<<"$out"; then
  pass "docker exec <app> ./migrate-tool backup: $(grep -o 'fix: [^(]*' <<<"$out")(...)"
else printf '%s\n' "$out" >&2; fail "docker exec <app> ./migrate-tool backup: the advice should be the image's backup job"; fi

# ---- a Swarm replicated job, as Dokploy and `docker service create` run one-off jobs --------------
# Swarm's default restart policy re-runs a job that exits non-zero every 5 s; --restart-condition none
# runs it once. A refused `down` (prod, no --yes: exit 2) must run exactly once.
swarm_service="migrate-tool-swarm-$$"
swarm_started=
if [[ $(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null) != active ]]; then
  if docker swarm init --advertise-addr 127.0.0.1 >/dev/null 2>&1; then swarm_started=1; fi
fi
if [[ $(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null) != active ]]; then
  skip swarm "Swarm replicated job: this engine cannot start Swarm mode (docker swarm init failed)"
else
  swarm_db="migrate_tool_image_swarm_$run_id"
  fresh_database "$swarm_db"
  docker service create --detach --quiet --name "$swarm_service" --mode replicated-job --restart-condition none \
    --network host --no-resolve-image -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD \
    -e "POSTGRES_DB_PROD=$swarm_db" -e APP_ENV=prod "$IMAGE" down >/dev/null
  # Wait for the first task to end, then as long again as two of Swarm's 5 s restart delays.
  for _ in $(seq 1 60); do
    docker service ps "$swarm_service" --format '{{.CurrentState}}' | grep -qE '^(Failed|Complete|Rejected)' && break
    sleep 1
  done
  sleep 12
  tasks=$(docker service ps "$swarm_service" -q | wc -l)
  logs=$(docker service logs --raw "$swarm_service" 2>&1)
  if ((tasks == 1)) && grep -q 'without confirmation; nothing was changed' <<<"$logs" \
    && docker service ps "$swarm_service" --format '{{.Error}}' | grep -q 'non-zero exit (2)'; then
    pass "docker service create --mode replicated-job --restart-condition none: a refused down ran once (1 task, exit 2)"
  else printf '%s\n' "$logs" >&2; fail "Swarm replicated job ran $tasks times (want 1)"; fi
  docker service rm "$swarm_service" >/dev/null 2>&1
fi

# ---- docker-compose.dev.yml, where a PostgreSQL image is at hand -------------------------------
for file in docker-compose.prod.yml docker-compose.dev.yml; do
  if "${compose[@]}" -f "$file" config -q >/dev/null 2>&1; then pass "$file is valid for ${compose[*]}"
  else "${compose[@]}" -f "$file" config -q >&2 || true; fail "$file is not valid for ${compose[*]}"; fi
done
# The Dokploy override: every job joins the external dokploy-network.
if out=$("${compose[@]}" -f docker-compose.prod.yml -f docker-compose.dokploy.yml config 2>&1) \
  && [[ $(grep -c 'dokploy-network' <<<"$out") -ge 4 ]] && grep -q 'external: true' <<<"$out"; then
  pass "docker-compose.dokploy.yml puts migrate, seed and backup on the external dokploy-network"
else printf '%s\n' "$out" >&2; fail "docker-compose.dokploy.yml with docker-compose.prod.yml"; fi
dev_postgres=${DEV_POSTGRES_IMAGE:-postgres:17}
if ! docker image inspect "$dev_postgres" >/dev/null 2>&1 && ! docker pull "$dev_postgres" >/dev/null 2>&1; then
  skip dev "docker-compose.dev.yml: no $dev_postgres image here and none can be pulled (set DEV_POSTGRES_IMAGE)"
else
  # A copy of the checkout, so that `create` writes into the copy's migrations/.
  mkdir "$work/dev"
  tar --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./backups -cf - . | tar -C "$work/dev" -xf -
  mkdir -p "$work/dev/backups"
  dev() { (cd "$work/dev" && HOST_UID=$(id -u) HOST_GID=$(id -g) NODE_IMAGE=$base DEV_POSTGRES_IMAGE=$dev_postgres \
    DEV_POSTGRES_PORT=${DEV_POSTGRES_PORT:-55432} "${compose[@]}" -p "${project}dev" -f docker-compose.dev.yml "$@" 2>&1); }
  if out=$(dev build migrate) && out=$(dev run --rm -T migrate) && grep -q 'Migration complete!' <<<"$out" \
    && out=$(dev run --rm -T seed) && grep -q 'Seeding complete!' <<<"$out" \
    && out=$(dev run --rm -T backup) && ls "$work/dev/backups/"backup_app_*.dump >/dev/null 2>&1 \
    && out=$(dev run --rm -T migrate create image_test) && ls "$work/dev/migrations/"*_image_test.up.sql >/dev/null 2>&1; then
    pass "docker-compose.dev.yml: PostgreSQL up and healthy, migrate, seed, backup with a password, create (files in the mounted folders)"
  else printf '%s\n' "$out" >&2; fail "docker-compose.dev.yml"; fi
  dev down -v >/dev/null
fi

# ---- size and start-up time ----------------------------------------------------------------------
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(docker image inspect -f '{{.Size}}' "$base")
added=$((size - base_size))
say "image $IMAGE: $(mb "$size") MB; base $base: $(mb "$base_size") MB; added: $(mb "$added") MB (limit $MAX_ADDED_MB MB)"
if ((added <= MAX_ADDED_MB * 1000000)); then pass "the image adds at most $MAX_ADDED_MB MB to its base"
else fail "the image adds $(mb "$added") MB to its base, over $MAX_ADDED_MB MB"; fi
start=$(now)
docker run --rm --network host -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD -e "POSTGRES_DB_PROD=$db" "$IMAGE" version >/dev/null 2>&1 \
  || fail "docker run --rm $IMAGE version"
docker_s=$(secs "$start" "$(now)")
start=$(now)
POSTGRES_DB_PROD=$db npx migrate-tool version >/dev/null 2>&1 || fail "npx migrate-tool version"
say "wall time of version: docker run --rm $IMAGE version ${docker_s} s; npx migrate-tool version $(secs "$start" "$(now)") s"

# ---- verdict -------------------------------------------------------------------------------------
((${#skipped[@]} == 0)) || say "not run (see SKIPPED above): ${skipped[*]}"
if ((failures > 0)); then say "$failures check(s) failed"; exit 1; fi
say "all checks passed"
