import Database from 'better-sqlite3';
import { AsyncLock } from '../async-lock.ts';
import type { SqlDatabase, SqlExecutor, SqlRunResult, SqlValue } from './types.ts';

type Native = Database.Database;

function normalise(params: readonly SqlValue[]): unknown[] {
  // better-sqlite3 binds booleans only as numbers.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  constructor(protected readonly db: Native) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...normalise(params)) as T[];
  }
  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.db.prepare(sql).get(...normalise(params)) as T | undefined;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    const info = this.db.prepare(sql).run(...normalise(params));
    return { changes: info.changes };
  }
  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }
}

/**
 * SQLite in WAL mode. Several processes (the server and `mailroom` admin commands) share the
 * file, so writers take the lock up front (BEGIN IMMEDIATE) and wait up to busy_timeout for it
 * instead of failing half-way through a transaction.
 */
export class SqliteDatabase extends SqliteExecutor implements SqlDatabase {
  private readonly lock = new AsyncLock();

  constructor(path: string) {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    super(db);
  }

  override all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.lock.run(() => super.all<T>(sql, params));
  }
  override get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.lock.run(() => super.get<T>(sql, params));
  }
  override run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.lock.run(() => super.run(sql, params));
  }
  override exec(sql: string): Promise<void> {
    return this.lock.run(() => super.exec(sql));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(new SqliteExecutor(this.db));
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.lock.run(async () => this.db.close());
  }
}
