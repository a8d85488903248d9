import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env';
import { redact } from '../../src/config/connection';

const base = {
  POSTGRES_HOST: 'db.example.com',
  POSTGRES_USER: 'prod_user',
  POSTGRES_PASSWORD: 'pw-123456',
  POSTGRES_DB_PROD: 'maindb',
};

describe('configuration', () => {
  it('builds the connection from POSTGRES_* with the documented defaults', () => {
    const c = loadConfig(base, { needsDatabase: true });
    expect(c.connection).toMatchObject({ host: 'db.example.com', port: 5432, user: 'prod_user', database: 'maindb' });
    expect(c).toMatchObject({
      appEnv: 'dev',
      migrationsDir: './migrations',
      tenantPattern: 'company_%',
      backupRetentionDays: 2,
    });
  });

  it('reports every problem at once, each naming what to set', () => {
    const error = (() => {
      try {
        loadConfig({ APP_ENV: 'staging', POSTGRES_PORT: 'abc', BACKUP_RETENTION_DAYS: 'x' }, { needsDatabase: true });
      } catch (e) {
        return e as Error & { problems: string[]; exitCode: number };
      }
    })();
    expect(error?.exitCode).toBe(2);
    expect(error?.problems.join('\n')).toMatch(/APP_ENV must be one of dev, test, prod/);
    expect(error?.problems.join('\n')).toMatch(/POSTGRES_PORT/);
    expect(error?.problems.join('\n')).toMatch(/BACKUP_RETENTION_DAYS/);
  });

  it('asks for POSTGRES_DB_PROD and POSTGRES_USER only for commands that touch a database', () => {
    expect(() => loadConfig({}, { needsDatabase: false })).not.toThrow();
    expect(() => loadConfig({}, { needsDatabase: true })).toThrow(
      /POSTGRES_DB_PROD is not set.*POSTGRES_USER is not set/,
    );
  });

  it('accepts DATABASE_URL, and refuses it when it names another database than POSTGRES_DB_PROD', () => {
    const c = loadConfig(
      { DATABASE_URL: 'postgres://u:secret-pw@h:6543/maindb?sslmode=require' },
      { needsDatabase: true },
    );
    expect(c.connection).toMatchObject({ host: 'h', port: 6543, user: 'u', database: 'maindb', sslMode: 'require' });
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://u@h/otherdb', POSTGRES_DB_PROD: 'maindb' }, { needsDatabase: true }),
    ).toThrow(/DATABASE_URL names database "otherdb" but POSTGRES_DB_PROD names "maindb"/);
  });

  it('never quotes a bad DATABASE_URL back, since it may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:topsecret@h/db' }, { needsDatabase: true })).toThrow(
      /DATABASE_URL is not a valid URL/,
    );
    try {
      loadConfig({ DATABASE_URL: 'mysql://u:topsecret@h/db' }, { needsDatabase: true });
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
    }
  });

  it('reports a DATABASE_URL with a stray % (an unencoded password) as a configuration problem, without quoting it', () => {
    const error = (() => {
      try {
        loadConfig({ DATABASE_URL: 'postgres://u:50%off@h/maindb' }, { needsDatabase: true });
      } catch (e) {
        return e as Error & { exitCode: number };
      }
    })();
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain("DATABASE_URL's password has a % that is not a %-escape");
    expect(error?.message).not.toContain('50%off');
  });

  it('lets --env and --dir override the environment', () => {
    const c = loadConfig(
      { ...base, APP_ENV: 'dev' },
      { needsDatabase: false, overrides: { appEnv: 'prod', migrationsDir: 'db/m' } },
    );
    expect(c).toMatchObject({ appEnv: 'prod', migrationsDir: 'db/m' });
  });
});

describe('redact', () => {
  it('removes URL credentials and known secrets', () => {
    expect(redact('connect postgres://u:hunter22@h/db failed', [])).toBe('connect postgres://u:***@h/db failed');
    expect(redact('password hunter22 rejected', ['hunter22'])).toBe('password *** rejected');
  });
});
