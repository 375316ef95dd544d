// SORT and THREAD from the store's key columns (MailStore.sortedUids, threadKeys) against the
// reference: every message's header read and sorted in JavaScript (messageFacts + sortMessages,
// threadMessage). Random mailboxes with reply/forward/list prefixes, addresses with and without
// display names, groups, encoded words and raw UTF-8, Dates missing or unreadable, and few
// distinct values, so ties (broken by UID, also under REVERSE) are common. Then a database from
// before the columns: they are added and filled at open, also after a fill cut short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import type { SortColumn } from '../../src/store/types.ts';
import { SORT_KEYS, type SortCriterion, type SortKey } from '../../src/imap/protocol/index.ts';
import { messageFacts } from '../../src/imap/sorting/message-facts.ts';
import { sortMessages } from '../../src/imap/sorting/sort.ts';
import { orderedSubject, references, renderThreads, threadColumns, threadMessage } from '../../src/imap/sorting/thread.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const COLUMN: Record<SortKey, SortColumn> = {
  ARRIVAL: 'arrival', DATE: 'date', SIZE: 'size', SUBJECT: 'subject', FROM: 'from', TO: 'to', CC: 'cc',
  DISPLAYFROM: 'displayfrom', DISPLAYTO: 'displayto',
};

const PREFIXES = ['', '', 'Re: ', 'RE: ', 're:', 'Fwd: ', 'Fw: ', 'Re: Re: ', '[list] ', 'Re: [list] ', '[a][b] Fwd: ', 'Re [x]: ', '  ', 'AW: '];
const TOPICS = ['Lunch', 'lunch', 'LUNCH', 'Budget', 'budget 2', 'Ünïcode', 'éclair', 'Eclair', 'ǆemal', 'Ǆemal', '𝒜stral', '\u{E000}private',
  'Straße', 'STRASSE', 'ﬁle', 'File', '會議通知', '[only]', '', ' ', '_under', 'Zebra'];
const SUFFIXES = ['', '', '', ' (fwd)', ' (FWD) ', ' '];
const NAMES = ['', 'Anna', 'anna', 'Émile Zola', 'Bob Smith', 'bob', 'Chen Wei', '李大同', 'Zed'];
const LOCALS = ['anna', 'Anna', 'bob', 'zed', 'émile', 'chen', 'a', ''];
const HOSTS = ['contoso.com', 'example.org', ''];
const IDS = ['<a@x>', '<b@x>', '<c@x>', '<d@x>', '<e@x>', '<f@x>'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Nov', 'Dec'];

function encodedWord(text: string): string {
  return `=?utf-8?b?${Buffer.from(text).toString('base64')}?=`;
}

function address(random: () => number): string {
  const local = pick(random, LOCALS);
  const host = pick(random, HOSTS);
  const spec = host ? `${local}@${host}` : local;
  const name = pick(random, NAMES);
  switch (randomInt(random, 7)) {
    case 0: return spec;
    case 1: return `<${spec}>`;
    case 2: return name ? `"${name}" <${spec}>` : `<${spec}>`;
    case 3: return name ? `${encodedWord(name)} <${spec}>` : spec;
    case 4: return `undisclosed-recipients:;`;
    case 5: return `${pick(random, ['team', 'Team', '團隊'])}: ${spec};`;
    default: return `${name || 'x'} <${spec}>, other@contoso.com`;
  }
}

function randomMessage(random: () => number): { raw: Buffer; internalDate: Date } {
  const lines: string[] = [];
  const subject = `${pick(random, PREFIXES)}${pick(random, TOPICS)}${pick(random, SUFFIXES)}`;
  if (random() < 0.9) lines.push(`Subject: ${random() < 0.2 ? encodedWord(subject) : subject}`);
  if (random() < 0.9) lines.push(`From: ${address(random)}`);
  if (random() < 0.8) lines.push(`To: ${address(random)}`);
  if (random() < 0.5) lines.push(`Cc: ${address(random)}`);
  const day = 1 + randomInt(random, 4);
  switch (randomInt(random, 5)) {
    case 0: break; // no Date: INTERNALDATE counts
    case 1: lines.push('Date: not a date'); break;
    case 2: lines.push(`Date: Mon, ${day} ${pick(random, MONTHS)} 2026 08:00:00 +0200 (EET)`); break;
    default: lines.push(`Date: ${day} ${pick(random, MONTHS)} 2026 ${String(randomInt(random, 3)).padStart(2, '0')}:00:00 +0000`);
  }
  if (random() < 0.8) lines.push(`Message-ID: ${pick(random, IDS)}`);
  if (random() < 0.4) lines.push(`References: ${Array.from({ length: 1 + randomInt(random, 3) }, () => pick(random, IDS)).join(' ')}`);
  if (random() < 0.3) lines.push(`In-Reply-To: ${pick(random, IDS)}`);
  const raw = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${'body '.repeat(randomInt(random, 4))}\r\n`);
  // Few distinct arrival times and sizes: ties are common for every key.
  const internalDate = new Date(Date.UTC(2026, 0, 1 + randomInt(random, 3)));
  return { raw, internalDate };
}

async function withStore(name: string, body: (folder: string) => Promise<void>): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), `mailroom-${name}-`));
  try {
    await body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function fill(store: SqliteMailStore, folderId: number, random: () => number, count: number): Promise<void> {
  // In batches: appends that wait together share a commit.
  for (let done = 0; done < count; done += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - done) }, () => store.append(folderId, randomMessage(random))));
  }
}

/** The reference answer: each message's header read and sorted in JavaScript. */
async function reference(store: SqliteMailStore, folderId: number, criteria: SortCriterion[], uids: readonly number[]): Promise<number[]> {
  const wanted = new Set(uids);
  const facts = await messageFacts(store, (await store.messages(folderId)).filter((m) => wanted.has(m.uid)));
  return sortMessages(facts, criteria).map((f) => f.uid);
}

async function fromColumns(store: SqliteMailStore, folderId: number, criteria: SortCriterion[], uids: readonly number[]): Promise<number[]> {
  return [...await store.sortedUids(folderId, criteria.map((c) => ({ column: COLUMN[c.key], reverse: c.reverse })), uids)];
}

async function threads(store: SqliteMailStore, folderId: number, uids: readonly number[]): Promise<{ columns: string[]; reference: string[] }> {
  const wanted = new Set(uids);
  const facts = await messageFacts(store, (await store.messages(folderId)).filter((m) => wanted.has(m.uid)));
  const keys = await store.threadKeys(folderId, uids);
  const text = (tokens: Float64Array) => renderThreads(tokens, (u) => u);
  const read = threadColumns(facts.map(threadMessage));
  return {
    columns: [text(references(keys)), text(orderedSubject(keys))],
    reference: [text(references(read)), text(orderedSubject(read))],
  };
}

test('SORT from the key columns equals the reference sort, for every key, REVERSE and several keys', async () => {
  const seed = Number(process.env.SORT_KEYS_SEED ?? 5256);
  const random = prng(seed);
  await withStore('sortkeys', async (folder) => {
    const store = await SqliteMailStore.open(folder);
    try {
      await store.provisionMailbox('m', 'en-US');
      const inbox = (await store.folder('m', 'INBOX'))!.id;
      // More than 1,000 messages: the whole folder is read as a UID range and filtered, a small
      // set is looked up UID by UID; both are compared.
      await fill(store, inbox, random, 1100);
      const all = (await store.messages(inbox)).map((m) => m.uid);
      const some = all.filter(() => random() < 0.3);
      const most = all.filter(() => random() < 0.95);
      // A UID the folder does not hold is left out, as the reference leaves it out.
      const withGone = [...some, all.at(-1)! + 5];
      const sets: [string, number[]][] = [['all', all], ['30 %', some], ['95 %', most], ['with a UID not held', withGone], ['one', [all[7]!]], ['none', []]];
      const criteriaList: SortCriterion[][] = [];
      for (const key of SORT_KEYS) for (const reverse of [false, true]) criteriaList.push([{ key, reverse }]);
      for (let i = 0; i < 12; i++) {
        criteriaList.push(Array.from({ length: 2 + randomInt(random, 2) }, () => ({ key: pick(random, SORT_KEYS), reverse: random() < 0.5 })));
      }
      for (const criteria of criteriaList) {
        for (const [name, uids] of sets) {
          const label = `seed ${seed}, ${criteria.map((c) => `${c.reverse ? 'REVERSE ' : ''}${c.key}`).join(' ')}, ${name}`;
          assert.deepEqual(await fromColumns(store, inbox, criteria, uids), await reference(store, inbox, criteria, uids), label);
        }
      }
      for (const [name, uids] of sets) {
        const t = await threads(store, inbox, uids);
        assert.deepEqual(t.columns, t.reference, `seed ${seed}, THREAD, ${name}`);
      }

      // COPY and MOVE carry the keys with the message.
      const target = (await store.createFolder('m', 'Copies')).id;
      await store.copy(inbox, some, target);
      const moved = (await store.createFolder('m', 'Moved')).id;
      await store.move(inbox, most.slice(0, 200), moved);
      for (const folderId of [target, moved, inbox]) {
        const uids = (await store.messages(folderId)).map((m) => m.uid);
        for (const key of ['SUBJECT', 'DATE', 'DISPLAYFROM'] as const) {
          const criteria = [{ key, reverse: false }];
          assert.deepEqual(await fromColumns(store, folderId, criteria, uids), await reference(store, folderId, criteria, uids), `${key} after copy/move`);
        }
        const t = await threads(store, folderId, uids);
        assert.deepEqual(t.columns, t.reference, 'THREAD after copy/move');
      }

      // The inbox's kept thread keys are brought forward: new messages, expunged ones, and
      // changes made through another connection to the same database.
      await fill(store, inbox, random, 120);
      await store.expunge(inbox, (await store.messages(inbox)).map((m) => m.uid).filter(() => random() < 0.1));
      const other = await SqliteMailStore.open(folder);
      try {
        await fill(other, inbox, random, 30);
        await other.expunge(inbox, (await other.messages(inbox)).map((m) => m.uid).filter(() => random() < 0.05));
      } finally {
        await other.close();
      }
      for (const [name, uids] of [['all', (await store.messages(inbox)).map((m) => m.uid)], ['30 %', some]] as const) {
        const t = await threads(store, inbox, uids);
        assert.deepEqual(t.columns, t.reference, `THREAD after appends and expunges, ${name}`);
      }

      // The inbox's kept sort orders: read again after those appends, then brought forward
      // across flag changes and expunges (here and through another connection), which leave
      // the other messages' order as it was.
      const kept: SortCriterion[][] = [[{ key: 'SUBJECT', reverse: false }], [{ key: 'DATE', reverse: true }], [{ key: 'SIZE', reverse: false }, { key: 'FROM', reverse: true }]];
      const compareKept = async (when: string) => {
        const uids = (await store.messages(inbox)).map((m) => m.uid);
        for (const criteria of kept) {
          for (const [name, set] of [['all', uids], ['30 %', some], ['95 %', uids.filter(() => random() < 0.95)]] as const) {
            assert.deepEqual(await fromColumns(store, inbox, criteria, set), await reference(store, inbox, criteria, set), `${criteria.map((c) => c.key).join(' ')} ${when}, ${name}`);
          }
        }
      };
      await compareKept('after appends and expunges');
      await store.storeFlags(inbox, some.slice(0, 50), 'add', ['\\Flagged']);
      await store.expunge(inbox, (await store.messages(inbox)).map((m) => m.uid).filter(() => random() < 0.1));
      await compareKept('after a flag change and an expunge');
      const another = await SqliteMailStore.open(folder);
      try {
        await another.expunge(inbox, (await another.messages(inbox)).map((m) => m.uid).filter(() => random() < 0.1));
      } finally {
        await another.close();
      }
      await compareKept("after another connection's expunge");
      // One message in, one out: as many as before, and the new one has its place.
      await fill(store, inbox, random, 1);
      await store.expunge(inbox, [(await store.messages(inbox))[0]!.uid]);
      await compareKept('after one message in and one out');

      // Recoverable Items put back: the keys are read again from the message.
      await store.deleteFolder('m', 'Moved');
      const items = await store.recoverableItems('m');
      await store.restoreRecoverableItems('m', items.map((i) => i.id));
      const restored = (await store.folder('m', 'Moved'))!.id;
      const uids = (await store.messages(restored)).map((m) => m.uid);
      assert.equal(uids.length, 200);
      for (const key of ['SUBJECT', 'DATE', 'TO'] as const) {
        const criteria = [{ key, reverse: true }];
        assert.deepEqual(await fromColumns(store, restored, criteria, uids), await reference(store, restored, criteria, uids), `${key} after restore`);
      }
    } finally {
      await store.close();
    }
  });
});

test('a database from before the sort-key columns gets them filled at open, also after a fill cut short', async () => {
  const random = prng(2026);
  await withStore('sortkeys-old', async (folder) => {
    let store = await SqliteMailStore.open(folder);
    await store.provisionMailbox('m', 'en-US');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    await fill(store, inbox, random, 300);
    await store.close();
    const columnsOf = (db: Database.Database) => db.prepare(`SELECT name FROM pragma_table_info('messages')`).pluck().all() as string[];
    const keyColumns = (db: Database.Database) => columnsOf(db).filter((c) => c.startsWith('sort_') || c.startsWith('header_') || c === 'subject_reply');
    const snapshot = () => {
      const db = new Database(join(folder, 'mailbox.db'), { readonly: true });
      const rows = db.prepare(`SELECT id, ${keyColumns(db).join(', ')} FROM messages ORDER BY id`).all();
      db.close();
      return rows;
    };
    const written = snapshot();
    assert.equal(keyColumns(new Database(join(folder, 'mailbox.db'), { readonly: true })).length, 10);

    // The older layout: no key columns and none of their indexes.
    const db = new Database(join(folder, 'mailbox.db'));
    const keys = keyColumns(db);
    for (const index of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND name LIKE 'messages_by_%' AND name != 'messages_by_modseq'`).pluck().all() as string[]) {
      db.exec(`DROP INDEX ${index}`);
    }
    for (const column of keys) db.exec(`ALTER TABLE messages DROP COLUMN ${column}`);
    assert.deepEqual(keyColumns(db), []);
    db.close();

    store = await SqliteMailStore.open(folder);
    const all = (await store.messages(inbox)).map((m) => m.uid);
    for (const key of SORT_KEYS) {
      const criteria = [{ key, reverse: false }];
      assert.deepEqual(await fromColumns(store, inbox, criteria, all), await reference(store, inbox, criteria, all), key);
    }
    await store.close();
    assert.deepEqual(snapshot(), written, 'the filled columns hold what append wrote');
    const check = new Database(join(folder, 'mailbox.db'), { readonly: true });
    assert.equal(check.prepare(`SELECT COUNT(*) FROM meta WHERE key = 'fill_sort_keys'`).pluck().get(), 0);
    assert.ok((check.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all() as string[]).includes('messages_by_subject'));
    check.close();

    // A fill cut short (the process died after message 100) goes on at the next open.
    const rewind = new Database(join(folder, 'mailbox.db'));
    rewind.exec(`UPDATE messages SET sort_subject = '', sort_date = 0, header_references = '' WHERE uid > 100;
      INSERT INTO meta (key, value) SELECT 'fill_sort_keys', id FROM messages WHERE uid = 100`);
    rewind.close();
    store = await SqliteMailStore.open(folder);
    await store.close();
    assert.deepEqual(snapshot(), written, 'the fill went on where it stopped');
  });
});
