# migrate-tool as a one-shot container job: ENTRYPOINT migrate-tool, default command `up`.
#
#   docker build -t migrate-tool .
#   docker build --build-arg NODE_IMAGE=<another Node >= 20 image on Debian trixie> -t migrate-tool .
#
# Written for both the classic builder and BuildKit: no BuildKit-only syntax.
ARG NODE_IMAGE=node:24-trixie-slim

# ---- build: the single-file CLI (dist/migrate-tool), the wasm engines it reads and the linter it runs
FROM ${NODE_IMAGE} AS build
# strip: squawk ships with its symbol table, about 4 MB of the image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: nothing here needs an install script, and `prepare` would run before src/ exists.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
RUN node scripts/build.js --single && strip dist/squawk

# ---- pg-client: pg_dump, pg_restore and psql from trixie's postgresql-client-17, plus only the shared
# libraries that the base image lacks (no perl wrappers, no docs). psql runs pg_restore's SQL script
# when restoring into a server older than 17 (pg_restore 17 connected to it fails on its settings).
FROM ${NODE_IMAGE} AS pg-client
RUN find /usr/lib -name '*.so*' > /tmp/base-libs \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client-17 \
 && bin=/usr/lib/postgresql/17/bin \
 && mkdir -p /out$bin /out/usr/local/bin \
 && for tool in pg_dump pg_restore psql; do \
      cp $bin/$tool /out$bin/$tool && ln -s $bin/$tool /out/usr/local/bin/$tool; \
    done \
 && ldd $bin/pg_dump $bin/pg_restore $bin/psql | awk '$2 == "=>" { print $3 }' | sort -u > /tmp/needed \
 && if grep -qv '^/' /tmp/needed; then echo "unresolved libraries:"; cat /tmp/needed; exit 1; fi \
 && while read -r lib; do \
      dir=$(readlink -f "$(dirname "$lib")"); path="$dir/$(basename "$lib")"; \
      grep -qxF "$path" /tmp/base-libs && continue; \
      mkdir -p "/out$dir" && cp -L "$lib" "/out$path"; \
    done < /tmp/needed \
 && du -sh /out

# ---- runtime: Node, the single file, pg_dump/pg_restore/psql, and the application's migrations
FROM ${NODE_IMAGE} AS runtime
COPY --from=pg-client /out/ /
RUN ldconfig \
 && pg_dump --version && pg_restore --version && psql --version \
 && groupadd --system --gid 10001 migrate \
 && useradd --system --uid 10001 --gid migrate --home-dir /app --no-create-home --shell /usr/sbin/nologin migrate \
 && mkdir -p /app /backups && chown migrate:migrate /backups && chmod 0700 /backups \
 && ln -s /app/migrate-tool /usr/local/bin/migrate-tool
WORKDIR /app
# dist/ holds only what the single-file build wrote: migrate-tool and the files it reads beside it.
COPY --from=build /src/dist/ /app/
# The application's migrations, Prisma schema and seed data, baked in: the image is one release.
COPY migrations/ /app/migrations/
COPY prisma/ /app/prisma/
COPY seeds/ /app/seeds/
ENV BACKUP_DIR=/backups \
    NODE_ENV=production
VOLUME ["/backups"]
USER migrate
ENTRYPOINT ["migrate-tool"]
CMD ["up"]
