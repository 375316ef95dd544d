import pg from 'pg';
import type { SqlDatabase, SqlExecutor, SqlRunResult, SqlValue } from './types.ts';

// BIGINT columns hold byte counts and counters well inside 2^53; read them as numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Rewrites `?` placeholders to `$n`, leaving question marks inside string literals alone. */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

// Booleans are stored as 0/1 integers so the same schema works on both engines.
function normalise(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  constructor(protected readonly client: Queryable) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const res = await this.client.query(toPostgresPlaceholders(sql), normalise(params));
    return res.rows as T[];
  }
  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    const res = await this.client.query(toPostgresPlaceholders(sql), normalise(params));
    return { changes: res.rowCount ?? 0 };
  }
  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }
}

/** The advisory lock key schema scripts take (any fixed number; "mroom" in ASCII). */
const SCHEMA_LOCK = 0x6d726f6f6d;

export class PostgresDatabase extends PostgresExecutor implements SqlDatabase {
  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  static connect(url: string): PostgresDatabase {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection the server ends (PostgreSQL restarted, the backend terminated, the
    // database dropped) is removed from the pool, and the next query opens a new one. The pool
    // reports it as an 'error' event, which without a listener would end the whole process.
    pool.on('error', () => undefined);
    return new PostgresDatabase(pool);
  }

  /**
   * Schema scripts, one process at a time: CREATE … IF NOT EXISTS is not safe against another
   * session creating the same object at once (PostgreSQL then fails on its catalog's unique
   * index, "pg_type_typname_nsp_index"), and a server's processes open the directory together.
   */
  override async exec(sql: string): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.exec(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
      await tx.exec(sql);
    });
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PostgresExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
