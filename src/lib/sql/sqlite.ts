import Database from 'better-sqlite3';
import { AsyncLock } from '../async-lock.ts';
import { ensurePrivateFile } from '../private-files.ts';
import type { SqlDatabase, SqlExecutor, SqlRunResult, SqlValue } from './types.ts';

type Native = Database.Database;

/**
 * Prepared statements by SQL text. better-sqlite3 compiles a statement on every prepare(), which
 * cost about a tenth of the CPU of a delivery; the same few dozen texts run over and over.
 * Texts built per query (compiled searches) could grow the map without end, so it starts afresh
 * past a bound. Safe because statements here are run with all/get/run, never left iterating.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Native,
    private readonly limit = 500,
  ) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= this.limit) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function normalise(params: readonly SqlValue[]): unknown[] {
  // better-sqlite3 binds booleans only as numbers.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  constructor(
    protected readonly db: Native,
    protected readonly statements: StatementCache,
  ) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.statements.get(sql).all(...normalise(params)) as T[];
  }
  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.statements.get(sql).get(...normalise(params)) as T | undefined;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    const info = this.statements.get(sql).run(...normalise(params));
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

  constructor(readonly path: string) {
    if (path !== ':memory:') ensurePrivateFile(path);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    super(db, new StatementCache(db));
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
        const result = await fn(new SqliteExecutor(this.db, this.statements));
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
