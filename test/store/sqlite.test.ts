// The SQLite engine against the MailStore conformance suite: each block gets a fresh temporary
// folder (database file and content-addressed blobs), and `reopen` closes the store and opens the
// same folder again with the same options, as a restarted back end would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INLINE_BLOB_LIMIT, SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { flagRowsOf } from '../../src/store/folder-map.ts';
import type { MailStore, StoreOptions } from '../../src/store/types.ts';
import { mailStoreConformance } from './conformance.ts';
import { searchConformance } from './search-conformance.ts';

mailStoreConformance('sqlite', async (options?: StoreOptions) => {
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-store-'));
  let current: MailStore = await SqliteMailStore.open(folder, options);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await SqliteMailStore.open(folder, options);
      return current;
    },
    cleanup: async () => {
      await current.close().catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
    },
  };
});

// Twice: small folders answer text keys message by message, large ones through the index; a
// limit of -1 sends every folder through the index.
for (const [name, textScanLimit] of [['sqlite, message by message', undefined], ['sqlite, through the index', -1]] as const) {
  searchConformance(name, async (options?: StoreOptions) => {
    const folder = mkdtempSync(join(tmpdir(), 'mailroom-search-'));
    const store = await SqliteMailStore.open(folder, { ...options, ...(textScanLimit === undefined ? {} : { textScanLimit }) });
    return { store, cleanup: async () => { await store.close(); rmSync(folder, { recursive: true, force: true }); } };
  });
}

// Databases written before messages.sent_day held the Date field as an instant (sent_date).
test('an older database gets each message\'s Date day from its stored header, once', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-sentday-'));
  try {
    let store = await SqliteMailStore.open(folder);
    await store.provisionMailbox('m', 'en-US');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    const raw = (date: string, body = 'x') => Buffer.from(`Date: ${date}\r\nSubject: s\r\n\r\n${body}\r\n`);
    await store.append(inbox, { raw: raw('Sun, 25 Mar 2007 01:00:00 +0300') });
    await store.append(inbox, { raw: raw('Sat, 24 Mar 2007 23:00:00 -0500') });
    // Large enough to be kept as a file beside the database.
    await store.append(inbox, { raw: raw('Sun, 25 Mar 2007 23:30:00 -0700', 'y'.repeat(INLINE_BLOB_LIMIT + 1)) });
    await store.append(inbox, { raw: Buffer.from('Subject: no date\r\n\r\nz\r\n') });
    await store.close();

    const rewind = (sql: string) => {
      const db = new Database(join(folder, 'mailbox.db'));
      db.exec(sql);
      db.close();
    };
    // The older layout: an instant in sent_date, no sent_day.
    rewind(`ALTER TABLE messages ADD COLUMN sent_date INTEGER; UPDATE messages SET sent_date = 0; ALTER TABLE messages DROP COLUMN sent_day`);
    store = await SqliteMailStore.open(folder);
    const senton = (date: string) => store.search(inbox, { type: 'sentdate', op: 'on', date });
    assert.deepEqual(await senton('2007-03-25'), [1, 3]);
    assert.deepEqual(await senton('2007-03-24'), [2]);
    assert.deepEqual(await senton('1970-01-01'), [4]);
    await store.close();
    const db = new Database(join(folder, 'mailbox.db'), { readonly: true });
    const columns = db.prepare(`SELECT name FROM pragma_table_info('messages')`).pluck().all();
    assert.ok(columns.includes('sent_day') && !columns.includes('sent_date'), String(columns));
    assert.equal(db.prepare(`SELECT count(*) FROM meta WHERE key = 'fill_sent_day'`).pluck().get(), 0);
    db.close();

    // A fill cut short (the process died after the first message) goes on at the next open.
    rewind(`UPDATE messages SET sent_day = NULL WHERE uid > 1; INSERT INTO meta (key, value) SELECT 'fill_sent_day', id FROM messages WHERE uid = 1`);
    store = await SqliteMailStore.open(folder);
    assert.deepEqual(await senton('2007-03-25'), [1, 3]);
    assert.deepEqual(await senton('2007-03-24'), [2]);
    await store.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a database from before the subscriptions table: subscribed folders become the list, the column goes', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-store-'));
  try {
    const store = await SqliteMailStore.open(folder);
    await store.provisionMailbox('mbx-old', 'en-US');
    for (const name of ['Kept', 'Dropped']) await store.createFolder('mbx-old', name);
    await store.close();
    // The old layout: a subscribed flag on folders (default 1), no subscriptions table.
    const db = new Database(join(folder, 'mailbox.db'));
    db.exec(`DROP TABLE subscriptions; ALTER TABLE folders ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;
      UPDATE folders SET subscribed = 0 WHERE name = 'Dropped'`);
    db.close();
    const reopened = await SqliteMailStore.open(folder);
    const names = (await reopened.folders('mbx-old')).map((f) => f.name).filter((n) => n !== 'Dropped').sort();
    assert.deepEqual(await reopened.subscriptions('mbx-old'), names);
    await reopened.close();
    const check = new Database(join(folder, 'mailbox.db'), { readonly: true });
    assert.equal(check.prepare(`SELECT COUNT(*) FROM pragma_table_info('folders') WHERE name = 'subscribed'`).pluck().get(), 0);
    check.close();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('the folder map follows writes made through another connection to the same database', async () => {
  // Two stores on one folder, as a second process on the machine would be: the first keeps its
  // map of UIDs, MODSEQs and flags, and must see what the second changed (src/store/folder-map.ts).
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-map-'));
  const first = await SqliteMailStore.open(folder);
  const second = await SqliteMailStore.open(folder);
  try {
    await first.provisionMailbox('mapped', 'en-US');
    const inbox = (await first.folder('mapped', 'INBOX'))!.id;
    const raw = (n: number) => Buffer.from(`Subject: ${n}\r\nMessage-ID: <${n}@example.com>\r\n\r\nbody ${n}\r\n`);
    for (let n = 0; n < 20; n++) await first.append(inbox, { raw: raw(n), flags: n % 3 === 0 ? ['\\Seen'] : [] });
    const asRows = async (store: SqliteMailStore) => (await store.messages(inbox)).map((m) => [m.uid, m.modseq, m.flags]);
    const mapped = async () => flagRowsOf(await first.flagColumns(inbox, { fromUid: 1, toUid: 0xffffffff })).map((r) => [r.uid, r.modseq, [...r.flags]]);
    assert.deepEqual(await mapped(), await asRows(first));
    // Each write alone (one that leaves the count unchanged too), then several together.
    await second.storeFlags(inbox, [2, 5, 9], 'add', ['\\Flagged', '$Work']);
    assert.deepEqual(await mapped(), await asRows(second));
    await second.expunge(inbox, [3, 20]);
    assert.deepEqual(await mapped(), await asRows(second));
    await second.append(inbox, { raw: raw(21), flags: ['\\Answered'] });
    assert.deepEqual(await mapped(), await asRows(second));
    await second.storeFlags(inbox, [1], 'replace', []);
    await second.expunge(inbox, [4]);
    await second.append(inbox, { raw: raw(22), flags: [] });
    assert.deepEqual(await mapped(), await asRows(second));
    assert.deepEqual(Array.from((await first.snapshot(inbox)).uids), (await asRows(second)).map((r) => r[0]));
    // A range from the middle, as FETCH asks slice by slice.
    assert.deepEqual([...(await first.flagColumns(inbox, { fromUid: 3, toUid: 10 })).uids], [5, 6, 7, 8, 9, 10]);
  } finally {
    await second.close();
    await first.close();
    rmSync(folder, { recursive: true, force: true });
  }
});
