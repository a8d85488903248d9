-- migrate:no-transaction
-- Undo 20251210220000_appointments_starts_at_index.
DROP INDEX CONCURRENTLY IF EXISTS "appointments_starts_at_idx";
