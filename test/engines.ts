// The two SQL engines every storage test runs against: a temporary SQLite file and a fresh
// PostgreSQL database on the local server (MAILROOM_TEST_POSTGRES names the admin connection).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresDatabase } from '../src/lib/sql/postgres.ts';
import { SqliteDatabase } from '../src/lib/sql/sqlite.ts';
import type { SqlDatabase } from '../src/lib/sql/types.ts';
import { tempDataDir } from './helpers.ts';

export const POSTGRES_ADMIN_URL = process.env.MAILROOM_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  open(): Promise<{ db: SqlDatabase; url?: string; cleanup: () => Promise<void> }>;
}

export const ENGINES: TestEngine[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = tempDataDir();
      const db = new SqliteDatabase(join(dir.path, 'directory.db'));
      return { db, cleanup: async () => { await db.close().catch(() => undefined); dir.cleanup(); } };
    },
  },
  {
    name: 'postgres',
    async open() {
      // A PostgreSQL directory's secrets are sealed with a key every server shares (docs/security.md,
      // "Data at rest"): given in the environment, which the servers a test starts inherit.
      process.env.MAILROOM_SECRETS_KEY ??= randomBytes(32).toString('base64');
      const name = `mailroom_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
      const db = PostgresDatabase.connect(url);
      return {
        db,
        url,
        cleanup: async () => {
          await db.close().catch(() => undefined);
          const a = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
          await a.connect();
          await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await a.end();
        },
      };
    },
  },
];
