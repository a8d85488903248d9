-- migrate:no-transaction
-- 20251210220000_appointments_starts_at_index (tenant): runs in every tenant schema, with search_path set to it.
-- Appointments are the largest tenant table: build the index without blocking writes. It runs
-- outside a transaction (CONCURRENTLY requires that); IF NOT EXISTS lets a re-run after a
-- failure go on, but check for an INVALID index left by an interrupted build first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "appointments_starts_at_idx" ON "appointments" ("starts_at");
