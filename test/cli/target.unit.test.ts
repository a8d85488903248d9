// The target line when .env names another server than the environment: what .env names is described
// from .env's own settings, so a port set for the environment's server is never shown for .env's host.
import { describe, expect, test } from 'vitest';
import { targetLine } from '../../src/cli/target';
import { loadConfig } from '../../src/internal';

const options = { needsDatabase: true };
const line = (env: Record<string, string>, dotenv: Record<string, string>) => {
  const merged = { ...dotenv, ...env };
  return targetLine(loadConfig(merged, options), { env: merged, dotenv }, options);
};

const ENV = { POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: '6101', POSTGRES_USER: 'app', POSTGRES_DB_PROD: 'maindb' };

describe('the target line against a .env that names another server', () => {
  test(".env's host without a port is described on the default port, not the environment's", () => {
    expect(line(ENV, { POSTGRES_HOST: 'db.example.invalid', POSTGRES_DB_PROD: 'otherdb' })).toBe(
      'Target database: maindb on 127.0.0.1:6101 as app (env: dev; from the environment, which wins over .env: ' +
        '.env names otherdb on db.example.invalid:5432 as app, ignored)',
    );
  });

  test(".env's host with its own port, or a URL with one, is described with that port", () => {
    expect(line(ENV, { POSTGRES_HOST: 'db.example.invalid', POSTGRES_PORT: '6543' })).toContain(
      '.env names maindb on db.example.invalid:6543 as app',
    );
    const viaUrl = { ...ENV, DATABASE_URL: 'postgres://app@127.0.0.1:6101/maindb' };
    expect(line(viaUrl, { DATABASE_URL: 'postgres://other@db.example.invalid/maindb' })).toContain(
      '.env names maindb on db.example.invalid:5432 as other',
    );
  });

  test('.env that changes only the database keeps the environment’s server and port', () => {
    expect(line(ENV, { POSTGRES_DB_PROD: 'otherdb' })).toContain('.env names otherdb on 127.0.0.1:6101 as app');
  });
});
