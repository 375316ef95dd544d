// The full-text index in index.db, written by a worker thread from the queue in mailbox.db:
// searches wait for it, an index from the old layout (FTS tables inside mailbox.db) or a deleted
// index.db is rebuilt from the messages, applied queue rows are pruned, and a queue left behind
// by a process that exited is picked up by the next one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';

let folder: string;
before(() => {
  folder = mkdtempSync(join(tmpdir(), 'mailroom-text-index-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

const message = (i: number, words: string) =>
  Buffer.from(`From: sender${i}@example.org\r\nTo: bob@contoso.com\r\nSubject: Note ${i}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n${words}\r\n`);

async function inboxOf(store: SqliteMailStore): Promise<number> {
  await store.provisionMailbox('bob', 'zh-TW');
  return (await store.folders('bob')).find((f) => f.role === 'inbox')!.id;
}

function queueLength(): number {
  const db = new Database(join(folder, 'mailbox.db'), { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM index_queue`).pluck().get() as number;
  } finally {
    db.close();
  }
}

test('every append is searchable at once, across 600 messages; applied queue rows are pruned', async () => {
  const store = await SqliteMailStore.open(folder);
  const inbox = await inboxOf(store);
  for (let i = 0; i < 600; i++) {
    const { uid } = await store.append(inbox, { raw: message(i, i % 3 === 0 ? `budget 會議室 item${i}` : `lunch item${i}`) });
    if (i % 97 === 0) assert.deepEqual(await store.search(inbox, { type: 'body', value: `item${i}` }), [uid], `message ${i} right after its append`);
  }
  assert.equal((await store.search(inbox, { type: 'body', value: 'budget' })).length, 200);
  assert.equal((await store.search(inbox, { type: 'text', value: '會議' })).length, 200, 'two-character CJK through the bigram index');
  // Pruning happens in later write transactions once the indexer is far enough ahead.
  await store.append(inbox, { raw: message(600, 'one more') });
  assert.ok(queueLength() < 600, `queue rows pruned (${queueLength()} left)`);
  await store.close();
});

test('a database whose index.db is gone, or that has the old in-database index, is indexed again', async () => {
  rmSync(join(folder, 'index.db'));
  rmSync(join(folder, 'index.db-wal'), { force: true });
  rmSync(join(folder, 'index.db-shm'), { force: true });
  // The layout before index.db: the FTS tables inside mailbox.db.
  const db = new Database(join(folder, 'mailbox.db'));
  db.exec(`CREATE VIRTUAL TABLE message_text USING fts5(subject, body, tokenize = 'trigram case_sensitive 0')`);
  db.close();
  const store = await SqliteMailStore.open(folder);
  const inbox = await inboxOf(store);
  assert.equal((await store.search(inbox, { type: 'body', value: 'budget' })).length, 200);
  assert.equal((await store.search(inbox, { type: 'header', field: 'subject', value: 'Note 599' })).length, 1);
  const check = new Database(join(folder, 'mailbox.db'), { readonly: true });
  assert.equal(check.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'message_text'`).pluck().get(), 0, 'old table dropped');
  check.close();
  assert.ok(existsSync(join(folder, 'index.db')));
  await store.close();
});

test('expunged and moved messages leave the index; a copy is found in its new folder', async () => {
  const store = await SqliteMailStore.open(folder);
  const inbox = await inboxOf(store);
  const archive = (await store.folders('bob')).find((f) => f.role === 'archive')!.id;
  const hits = await store.search(inbox, { type: 'body', value: 'item3' });
  assert.ok(hits.length > 0);
  await store.copy(inbox, hits, archive);
  await store.expunge(inbox, hits);
  assert.deepEqual(await store.search(inbox, { type: 'body', value: 'item3' }), []);
  assert.equal((await store.search(archive, { type: 'body', value: 'item3' })).length, hits.length);
  await store.close();
});

test('work queued by a process that exited before indexing it is done by the next one', async () => {
  const store = await SqliteMailStore.open(folder);
  const inbox = await inboxOf(store);
  await store.append(inbox, { raw: message(1000, 'nightly backup report') });
  // Closing at once ends the indexer, usually before it got to this message.
  await store.close();
  const next = await SqliteMailStore.open(folder);
  assert.equal((await next.search(inbox, { type: 'body', value: 'nightly backup' })).length, 1);
  await next.close();
});

test('signature fields are found by HEADER but not indexed for TEXT; an index.db of an older layout is rebuilt', async () => {
  const store = await SqliteMailStore.open(folder);
  const inbox = await inboxOf(store);
  const signed = Buffer.from(
    'DKIM-Signature: v=1; a=rsa-sha256; d=fabrikam.example; s=sel; b=QmFzZTY0U2lnbmF0dXJlVmFsdWVYWVo=\r\n'
    + 'From: news@fabrikam.example\r\nTo: bob@contoso.com\r\nSubject: Signed\r\n\r\nsigned body text\r\n',
  );
  const { uid } = await store.append(inbox, { raw: signed });
  assert.deepEqual(await store.search(inbox, { type: 'header', field: 'DKIM-Signature', value: 'd=fabrikam.example' }), [uid]);
  assert.deepEqual(await store.search(inbox, { type: 'text', value: 'QmFzZTY0U2lnbmF0dXJl' }), [], 'signature values are not tokenized');
  assert.deepEqual(await store.search(inbox, { type: 'text', value: 'signed body' }), [uid]);
  const budget = await store.search(inbox, { type: 'body', value: 'budget' });
  await store.close();
  // An index.db from another layout version is thrown away and built again from the messages.
  const index = new Database(join(folder, 'index.db'));
  index.pragma('user_version = 1');
  index.exec('DELETE FROM message_text');
  index.close();
  const again = await SqliteMailStore.open(folder);
  assert.deepEqual(await again.search(inbox, { type: 'text', value: 'signed body' }), [uid]);
  assert.deepEqual(await again.search(inbox, { type: 'body', value: 'budget' }), budget);
  await again.close();
});
