// One small async SQL interface with two engines (SQLite for one machine, PostgreSQL for many).
// Statements use `?` placeholders; the PostgreSQL engine rewrites them to $1, $2, …

export type SqlValue = string | number | bigint | boolean | null | Buffer;

export interface SqlRunResult {
  changes: number;
}

export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
  /** Several statements separated by semicolons, without parameters (schema scripts). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws.
   * Keep slow work (password hashing, network) outside: the write lock is held throughout.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
