// How the SQLite engine answers date and flag keys in a folder: INTERNALDATE ranges from the
// arrival index, flags from their partial indexes without reading rows — and the same answers as
// a plain test of each message (random searches against a reference).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANGED_FLAG_ROWS, SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import type { SearchKey } from '../../src/store/search.ts';
import { prng } from '../support/random.ts';

const DAY = 86_400_000;
const FIRST = Date.UTC(2025, 0, 1);
const COUNT = 400;
const NOW = new Date(FIRST + COUNT * DAY);

interface Kept { uid: number; internalDate: number; flagged: boolean; deleted: boolean }

let folder: string;
let store: SqliteMailStore;
let inbox: number;
const kept: Kept[] = [];

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'mailroom-plans-'));
  store = await SqliteMailStore.open(folder);
  await store.provisionMailbox('p', 'en-US');
  inbox = (await store.folder('p', 'INBOX'))!.id;
  const random = prng(4242);
  // One message a day at a random hour; mostly in arrival order, every tenth out of it (a
  // migrated message keeps its old INTERNALDATE).
  for (let i = 0; i < COUNT; i++) {
    const day = random() < 0.1 ? Math.floor(random() * COUNT) : i;
    const internalDate = FIRST + day * DAY + Math.floor(random() * DAY);
    const flagged = random() < 0.1;
    const deleted = random() < 0.05;
    const flags = [...(flagged ? ['\\Flagged'] : []), ...(deleted ? ['\\Deleted'] : [])];
    const { uid } = await store.append(inbox, { raw: Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`), flags, internalDate: new Date(internalDate) });
    kept.push({ uid, internalDate, flagged, deleted });
  }
});

after(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

const dayText = (day: number) => new Date(FIRST + day * DAY).toISOString().slice(0, 10);

// SQLite walks the arrival index over the range and sorts the UIDs. Measured on 1,000,000 rows
// with 942,401 matching, that is faster than walking the rows in UID order (480 against 690 ms),
// and for a narrow range it reads only the range: a change of plan (an ANALYZE, another index)
// would show here.
test('INTERNALDATE ranges walk the arrival index; flags read their partial indexes without the rows', () => {
  const plan = (key: SearchKey) => store.searchPlan(inbox, key, { now: NOW }).join(' | ');
  assert.match(plan({ type: 'internaldate', op: 'since', date: dayText(COUNT - 20) }), /COVERING INDEX messages_by_arrival/);
  assert.match(plan({ type: 'internaldate', op: 'since', date: dayText(10) }), /COVERING INDEX messages_by_arrival/);
  assert.match(plan({ type: 'internaldate', op: 'on', date: dayText(200) }), /COVERING INDEX messages_by_arrival/);
  assert.match(plan({ type: 'age', op: 'younger', seconds: 7 * 86_400 }), /COVERING INDEX messages_by_arrival/);
  assert.match(plan({ type: 'flag', flag: '\\Flagged', present: true }), /COVERING INDEX messages_flagged_rows/);
  assert.match(plan({ type: 'flag', flag: '\\Deleted', present: true }), /COVERING INDEX messages_deleted_rows/);
});

test('random date and flag searches give what a test of each message gives', async () => {
  const random = prng(99);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  type Leaf = { key: SearchKey; test: (m: Kept) => boolean };
  const leaf = (): Leaf => {
    const r = random();
    if (r < 0.45) {
      const day = Math.floor(random() * (COUNT + 20)) - 10;
      const start = FIRST + day * DAY;
      const op = pick(['since', 'before', 'on'] as const);
      const test = op === 'since' ? (m: Kept) => m.internalDate >= start : op === 'before' ? (m: Kept) => m.internalDate < start : (m: Kept) => m.internalDate >= start && m.internalDate < start + DAY;
      return { key: { type: 'internaldate', op, date: dayText(day) }, test };
    }
    if (r < 0.7) {
      const seconds = Math.floor(random() * COUNT * 86_400);
      const bound = NOW.getTime() - seconds * 1000;
      const op = pick(['younger', 'older'] as const);
      return { key: { type: 'age', op, seconds }, test: op === 'younger' ? (m) => m.internalDate > bound : (m) => m.internalDate <= bound };
    }
    const present = random() < 0.7;
    const flag = pick(['\\Flagged', '\\Deleted'] as const);
    return { key: { type: 'flag', flag, present }, test: (m) => (flag === '\\Flagged' ? m.flagged : m.deleted) === present };
  };
  const compose = (depth: number): Leaf => {
    const r = random();
    if (depth === 0 || r < 0.4) return leaf();
    if (r < 0.75) {
      const parts = [compose(depth - 1), compose(depth - 1), ...(random() < 0.5 ? [compose(depth - 1)] : [])];
      return { key: { type: 'and', keys: parts.map((p) => p.key) }, test: (m) => parts.every((p) => p.test(m)) };
    }
    if (r < 0.9) {
      const [a, b] = [compose(depth - 1), compose(depth - 1)];
      return { key: { type: 'or', left: a.key, right: b.key }, test: (m) => a.test(m) || b.test(m) };
    }
    const inner = compose(depth - 1);
    return { key: { type: 'not', key: inner.key }, test: (m) => !inner.test(m) };
  };
  for (let i = 0; i < 300; i++) {
    const { key, test: check } = compose(3);
    const expected = kept.filter(check).map((m) => m.uid);
    assert.deepEqual(await store.search(inbox, key, { now: NOW }), expected, JSON.stringify(key));
  }
});

test('a database with the flag indexes of before gets the ones that hold the flags', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-plans-old-'));
  try {
    let s = await SqliteMailStore.open(dir);
    await s.provisionMailbox('o', 'en-US');
    const id = (await s.folder('o', 'INBOX'))!.id;
    await s.append(id, { raw: Buffer.from('Subject: a\r\n\r\nb\r\n'), flags: ['\\Flagged'] });
    await s.close();
    const db = new Database(join(dir, 'mailbox.db'));
    db.exec(`DROP INDEX messages_flagged_rows; DROP INDEX messages_deleted_rows;
             CREATE INDEX messages_flagged ON messages (folder_id, uid) WHERE instr(flags, '"\\Flagged"') > 0;`);
    db.close();
    s = await SqliteMailStore.open(dir);
    const names = (() => {
      const check = new Database(join(dir, 'mailbox.db'), { readonly: true });
      try {
        return check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'messages_%ed%'`).pluck().all() as string[];
      } finally {
        check.close();
      }
    })();
    assert.deepEqual(names.sort(), ['messages_deleted_rows', 'messages_flagged_rows']);
    assert.deepEqual(await s.search(id, { type: 'flag', flag: '\\Flagged', present: true }), [1]);
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A session's sync after every command reads the rows changed since its MODSEQ: from the MODSEQ
// index, never a walk of the folder's UID, MODSEQ and flags index (which SQLite preferred, to
// save a sort, once those three columns were an index of their own).
test('the rows changed since a MODSEQ come from the MODSEQ index', () => {
  const db = new Database(join(folder, 'mailbox.db'), { readonly: true });
  try {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${CHANGED_FLAG_ROWS}`).all(inbox, 5) as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.match(plan, /messages_by_modseq/);
  } finally {
    db.close();
  }
});
