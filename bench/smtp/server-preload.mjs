// Loaded into the Mailroom server process by bench/smtp/run.ts (`node --import <this file>
// bin/mailroom.js start`), so that the benchmark runs the real server without the network:
//
// - DNS: `mailroom start` resolves with node:dns (src/smtp/dns.ts, systemResolver), which has no
//   override; this replaces dns.promises.resolve with an answer from the table in
//   BENCH_SMTP_DNS (JSON, `name TYPE` → what dns.promises.resolve returns), at once, and
//   ENOTFOUND/ENODATA for anything else. Queries are counted per type.
// - BENCH_SMTP_CHECKS=off: the inbound checks' mailauth import is replaced by a stub that
//   returns no verdict at once (checks-off.mjs), to measure what SPF/DKIM/DMARC/ARC cost.
// - BENCH_SMTP_COUNT_SQL=1: every better-sqlite3 prepare, statement run and top-level
//   transaction is counted per database file and SQL text (slows the server; analysis only).
// - BENCH_SMTP_STATS=<file>: the counts are written there as JSON on SIGUSR2 (so the benchmark
//   can take them before and after a round) and on SIGTERM, before the server stops.
import { promises as dns } from 'node:dns';
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { basename } from 'node:path';

const records = JSON.parse(process.env.BENCH_SMTP_DNS ?? '{}');
const stats = { dns: {}, sql: { prepare: {}, run: {}, runBy: {}, transactions: {}, exec: {} } };
const bump = (table, key) => (table[key] = (table[key] ?? 0) + 1);

dns.resolve = async (name, rrtype = 'A') => {
  const type = String(rrtype).toUpperCase();
  const lower = String(name).toLowerCase().replace(/\.$/, '');
  bump(stats.dns, `${type} ${lower}`);
  const found = records[`${lower} ${type}`];
  if (found) return found;
  const known = Object.keys(records).some((k) => k.startsWith(`${lower} `));
  const code = known ? 'ENODATA' : 'ENOTFOUND';
  throw Object.assign(new Error(`query${type} ${code} ${name}`), { code, hostname: name });
};

if (process.env.BENCH_SMTP_CHECKS === 'off') register('./checks-off.mjs', import.meta.url);

if (process.env.BENCH_SMTP_COUNT_SQL === '1') {
  const require = createRequire(new URL('../../package.json', import.meta.url));
  const Database = require('better-sqlite3');
  const key = (db, sql) => `${basename(db.name)}\t${sql.replace(/\s+/g, ' ').trim()}`;
  // Which of Mailroom's functions ran the statement: the nearest three src/ frames above the
  // SQL wrapper (src/lib/sql), innermost first.
  Error.stackTraceLimit = 40;
  // The directory's statements run behind an AsyncLock (src/lib/async-lock.ts), as a then()
  // callback: their stack no longer shows who asked. The stack of that then() call does, so it
  // is kept for the callbacks that run a statement (`() => super.get(sql, params)` and the like).
  let asked = null;
  const then = Promise.prototype.then;
  Promise.prototype.then = function (onFulfilled, onRejected) {
    if (typeof onFulfilled === 'function' && onFulfilled.length === 0 && /super\.(all|get|run|exec)\b|BEGIN IMMEDIATE/.test(Function.prototype.toString.call(onFulfilled))) {
      const stack = new Error().stack;
      const fn = onFulfilled;
      onFulfilled = function (value) {
        const outer = asked;
        asked = stack;
        try {
          return fn.call(this, value);
        } finally {
          asked = outer;
        }
      };
    }
    return then.call(this, onFulfilled, onRejected);
  };
  const callers = () => {
    const frames = [];
    for (const line of (asked ?? new Error().stack ?? '').split('\n')) {
      const m = /at (?:async )?(\S+) \(.*?\/src\/([^:)]+)/.exec(line) ?? /at (?:async )?()[^(]*?\/src\/([^:)]+)/.exec(line);
      if (!m || m[2].startsWith('lib/sql/') || m[2] === 'lib/async-lock.ts') continue;
      frames.push(`${m[1] || '(anonymous)'} (${m[2]})`);
      if (frames.length === 3) break;
    }
    return frames.join(' ← ');
  };
  const patched = new WeakSet();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (sql, ...rest) {
    bump(stats.sql.prepare, key(this, sql));
    const statement = prepare.call(this, sql, ...rest);
    const proto = Object.getPrototypeOf(statement);
    if (!patched.has(proto)) {
      patched.add(proto);
      for (const method of ['run', 'get', 'all', 'iterate']) {
        const original = proto[method];
        proto[method] = function (...args) {
          const k = key(this.database, this.source);
          bump(stats.sql.run, k);
          bump(stats.sql.runBy, `${k}\t${callers()}`);
          return original.apply(this, args);
        };
      }
    }
    return statement;
  };
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (sql) {
    bump(stats.sql.exec, key(this, sql));
    return exec.call(this, sql);
  };
  const transaction = Database.prototype.transaction;
  Database.prototype.transaction = function (fn) {
    const db = this;
    const wrapped = transaction.call(this, fn);
    const count = (variant) =>
      function (...args) {
        if (!db.inTransaction) bump(stats.sql.transactions, `${basename(db.name)}\t${variant}`);
        return wrapped[variant].apply(this, args);
      };
    const out = count('default');
    for (const variant of ['deferred', 'immediate', 'exclusive']) out[variant] = count(variant);
    out.default = out;
    return out;
  };
}

if (process.env.BENCH_SMTP_STATS) {
  const write = () => writeFileSync(process.env.BENCH_SMTP_STATS, JSON.stringify({ ...stats, at: Date.now() }));
  process.on('SIGUSR2', write);
  // Registered before the server's own handler, so it runs first and sees the counts of the run.
  process.once('SIGTERM', write);
}
