// The MailStore conformance suite: the black-box contract every storage engine (SQLite,
// PostgreSQL, …) must pass. An engine's test file calls `mailStoreConformance(name, open)`;
// `open` returns a fresh, empty store built with the given StoreOptions, an optional `reopen`
// (close the store and open the same data again) and a `cleanup`.
//
// Contract decisions this suite pins down (where the RFCs or types.ts leave a choice):
// - readBlob ranges are { start, end } with `end` EXCLUSIVE, like Buffer.subarray. A range that
//   runs past the end is clamped, and one that starts past the end is empty (RFC 3501 §6.4.5
//   partial FETCH).
// - messages(folder, { fromUid, toUid }) is inclusive at both ends and sorted by ascending UID.
// - deleteFolder refuses a folder that has children with FolderError 'has-children' (the engine
//   never deletes a subtree on its own); INBOX is 'protected'.
// - createFolder does not promise to create missing parents, so tests always create parents first.
// - A case variant of INBOX ("Inbox") can never be created (RFC 3501 §5.1: INBOX is
//   case-insensitive).
// - \Recent is never a stored flag: storeFlags ignores it (the other flags of the call still
//   apply), and MessageSummary.flags never contains it. It is taken with claimRecent.
// - Quota: an append or copy is refused when usage + needed > limit; reaching the limit exactly
//   is allowed. Usage counts the messages in folders, not Recoverable Items (Exchange keeps a
//   separate RecoverableItemsQuota). A move inside one mailbox needs no new space and is never
//   refused, so a full mailbox can still move mail to Deleted Items.
// - A moved message is expunged from the source's change log but is not a recoverable item.
// - Change notifications: exactly one event per committed change of a folder (append, flags,
//   expunge, copy target, both folders of a move), carrying the folder's new HIGHESTMODSEQ.
// - Removing a mailbox also makes its message bytes unreadable once nothing else refers to them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import iconv from 'iconv-lite';
import { pick, prng, randomInt } from '../support/random.ts';
import { flagRowsOf } from '../../src/store/folder-map.ts';
import {
  FolderError,
  QuotaExceededError,
  type ChangeListener,
  type Flag,
  type Folder,
  type FolderRole,
  type MailStore,
  type MessageSummary,
  type StoreOptions,
} from '../../src/store/types.ts';

export interface OpenedStore {
  store: MailStore;
  /** Closes the store and opens the same data again with the same options. */
  reopen?: () => Promise<MailStore>;
  cleanup: () => Promise<void>;
}

export type OpenStore = (options?: StoreOptions) => Promise<OpenedStore>;

// ---------------------------------------------------------------------------------------------
// Helpers

let messageCounter = 0;

interface MessageOptions {
  subject?: string;
  from?: string;
  headers?: string[];
  body?: string | Buffer;
}

/** A small RFC 5322 message with CRLF line ends; every call gives different bytes. */
function makeMessage(options: MessageOptions = {}): Buffer {
  const n = ++messageCounter;
  const headers = [
    `From: ${options.from ?? 'Alice Example <alice@example.com>'}`,
    'To: Bob Example <bob@example.com>',
    `Subject: ${options.subject ?? `Test message ${n}`}`,
    'Date: Thu, 26 Nov 2026 10:00:00 +0800',
    `Message-ID: <${randomUUID()}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(options.headers ?? []),
  ];
  const body = options.body ?? `This is test message ${n}.\r\n`;
  return Buffer.concat([
    Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
}

/** A unique message of exactly `size` bytes (for quota arithmetic). */
function sizedMessage(size: number): Buffer {
  const head = Buffer.from(`Subject: sized ${randomUUID()}\r\nFrom: sizer@example.com\r\n\r\n`, 'utf8');
  assert.ok(size > head.length + 2, 'sizedMessage: size too small');
  const body = Buffer.alloc(size - head.length, 'x');
  body.write('\r\n', body.length - 2, 'latin1');
  return Buffer.concat([head, body]);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sorted(flags: readonly Flag[]): Flag[] {
  return [...flags].sort();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns true, or fails with `what` after `timeoutMs`. */
async function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function expectFolderError(promise: Promise<unknown>, code: FolderError['code'], what: string): Promise<void> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof FolderError, `${what}: expected a FolderError '${code}', got ${String(e)}`);
    assert.equal(e.code, code, `${what}: FolderError code`);
    return;
  }
  assert.fail(`${what}: expected FolderError '${code}', but it succeeded`);
}

async function expectQuotaError(promise: Promise<unknown>, what: string): Promise<QuotaExceededError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof QuotaExceededError, `${what}: expected a QuotaExceededError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${what}: expected a QuotaExceededError, but it succeeded`);
}

function mustFind<T>(items: readonly T[], predicate: (item: T) => boolean, what: string): T {
  const found = items.find(predicate);
  assert.ok(found !== undefined, `${what} not found`);
  return found;
}

async function mustFolder(store: MailStore, mailboxId: string, name: string): Promise<Folder> {
  const folder = await store.folder(mailboxId, name);
  assert.ok(folder, `folder ${JSON.stringify(name)} should exist`);
  return folder;
}

async function mustMessage(store: MailStore, folderId: number, uid: number): Promise<MessageSummary> {
  const message = await store.message(folderId, uid);
  assert.ok(message, `message UID ${uid} should exist in folder ${folderId}`);
  return message;
}

/** A freshly provisioned mailbox and its INBOX. */
async function newMailbox(store: MailStore, language = 'en-US'): Promise<{ id: string; inbox: Folder }> {
  const id = `mbx-${randomUUID()}`;
  await store.provisionMailbox(id, language);
  return { id, inbox: await mustFolder(store, id, 'INBOX') };
}

async function appendAll(store: MailStore, folderId: number, raws: Buffer[]): Promise<number[]> {
  const uids: number[] = [];
  for (const raw of raws) uids.push((await store.append(folderId, { raw })).uid);
  return uids;
}

/** A folder (re)created after a delete must not hand out a UID already used under the same UIDVALIDITY (RFC 3501 §2.3.1.1). */
function assertNoUidReuse(oldFolder: { uidValidity: number; maxUid: number }, newFolder: Folder, firstNewUid: number, what: string): void {
  if (newFolder.uidValidity === oldFolder.uidValidity) {
    assert.ok(
      firstNewUid > oldFolder.maxUid,
      `${what}: same UIDVALIDITY ${newFolder.uidValidity} but UID ${firstNewUid} was already used (max was ${oldFolder.maxUid})`,
    );
  }
}

const EN_US: Record<FolderRole, string> = {
  inbox: 'INBOX',
  sent: 'Sent Items',
  trash: 'Deleted Items',
  drafts: 'Drafts',
  junk: 'Junk Email',
  archive: 'Archive',
};

const ZH_TW: Record<FolderRole, string> = {
  inbox: 'INBOX',
  sent: '寄件備份',
  trash: '刪除的郵件',
  drafts: '草稿',
  junk: '垃圾郵件',
  archive: '封存',
};

const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];

// ---------------------------------------------------------------------------------------------
// The suite

export function mailStoreConformance(name: string, open: OpenStore): void {
  describe(`MailStore conformance: ${name}`, () => {
    /** One store per describe block: opened before its tests, cleaned up after them. */
    function useStore(options?: () => StoreOptions): () => OpenedStore {
      let opened: OpenedStore | undefined;
      before(async () => {
        opened = await open(options?.());
      });
      after(async () => {
        await opened?.cleanup();
      });
      return () => {
        assert.ok(opened, 'store not opened');
        return opened;
      };
    }

    describe('snapshot: counters, UID map, first unseen and keywords kept by every change', () => {
      const ctx = useStore();

      /** What snapshot() must say, counted again from the messages themselves. */
      async function recount(store: MailStore, folderId: number) {
        const all = await store.messages(folderId);
        const keywords = new Map<string, string>();
        for (const m of all) for (const f of m.flags) if (!f.startsWith('\\') && !keywords.has(f.toLowerCase())) keywords.set(f.toLowerCase(), f);
        return {
          uids: all.map((m) => m.uid),
          messages: all.length,
          unseen: all.filter((m) => !m.flags.includes('\\Seen')).length,
          size: all.reduce((n, m) => n + m.size, 0),
          firstUnseenUid: all.find((m) => !m.flags.includes('\\Seen'))?.uid ?? 0,
          keywords: [...keywords.keys()].sort(),
        };
      }

      for (const seed of [1501, 1502, 1503]) {
        test(`equal a recount after random appends, expunges, flag changes, copies and moves (seed ${seed})`, async () => {
          const { store } = ctx();
          const random = prng(seed);
          const id = `mbx-${randomUUID()}`;
          await store.provisionMailbox(id, 'en-US');
          const inbox = await mustFolder(store, id, 'INBOX');
          const other = await store.createFolder(id, 'Other');
          const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Work', '$work', 'Junk', '$Later'];
          const someUids = async (folderId: number) => (await store.messages(folderId)).map((m) => m.uid).filter(() => random() < 0.3);
          for (let step = 0; step < 120; step++) {
            const folderId = random() < 0.75 ? inbox.id : other.id;
            const action = randomInt(random, 10);
            if (action < 4) {
              const flags = FLAGS.filter(() => random() < 0.25);
              await Promise.all(Array.from({ length: 1 + randomInt(random, 3) }, () => store.append(folderId, { raw: makeMessage(), flags })));
            } else if (action < 7) {
              const op = pick(random, ['add', 'remove', 'replace'] as const);
              await store.storeFlags(folderId, await someUids(folderId), op, FLAGS.filter(() => random() < 0.3));
            } else if (action < 8) {
              await store.expunge(folderId, await someUids(folderId));
            } else if (action < 9) {
              await store.copy(folderId, await someUids(folderId), folderId === inbox.id ? other.id : inbox.id);
            } else {
              await store.move(folderId, await someUids(folderId), folderId === inbox.id ? other.id : inbox.id);
            }
            if (step % 10 !== 9 && random() < 0.7) continue;
            for (const f of [inbox.id, other.id]) {
              const snap = await store.snapshot(f);
              const want = await recount(store, f);
              const status = await store.status(f);
              assert.deepEqual(Array.from(snap.uids), want.uids, `UIDs of folder ${f} at step ${step}`);
              assert.deepEqual(
                [snap.status.messages, snap.status.unseen, snap.status.size, snap.firstUnseenUid],
                [want.messages, want.unseen, want.size, want.firstUnseenUid],
                `counters of folder ${f} at step ${step}`,
              );
              assert.deepEqual([snap.status.uidNext, snap.status.highestModseq], [status.uidNext, status.highestModseq]);
              // folderStatuses is status() of every folder of the mailbox at once.
              assert.deepEqual((await store.folderStatuses(id)).get(f), status, `folderStatuses of folder ${f} at step ${step}`);
              assert.deepEqual(snap.keywords.map((k) => k.toLowerCase()).sort(), want.keywords, `keywords of folder ${f} at step ${step}`);
              // The change log still answers as before snapshots were taken.
              const log = await store.changesSince(f, 0);
              assert.ok(log.expunged.every((uid) => Number.isInteger(uid) && !want.uids.includes(uid)), `expunged UIDs of folder ${f} at step ${step}`);
              assert.deepEqual(log.changed.map((m) => m.uid), want.uids);
              // flagChangesSince is changesSince cut down to UID, MODSEQ and flags, from any MODSEQ.
              for (const since of [0, Math.floor(status.highestModseq / 2), status.highestModseq - 1]) {
                const full = await store.changesSince(f, since);
                const light = await store.flagChangesSince(f, since);
                assert.deepEqual(
                  { highestModseq: light.highestModseq, changed: light.changed.map((r) => [r.uid, r.modseq, [...r.flags]]), expunged: light.expunged },
                  { highestModseq: full.highestModseq, changed: full.changed.map((m) => [m.uid, m.modseq, m.flags]), expunged: full.expunged },
                  `flagChangesSince(${since}) of folder ${f} at step ${step}`,
                );
              }
              // flagColumns is messages() cut down to UID, MODSEQ and flags.
              const rows = flagRowsOf(await store.flagColumns(f, { fromUid: 1, toUid: 0xffffffff }));
              assert.deepEqual(rows.map((r) => [r.uid, r.modseq, [...r.flags]]), (await store.messages(f)).map((m) => [m.uid, m.modseq, m.flags]));
              // sortedUids orders by the row's columns, ties in UID order (test/store/sort-keys.test.ts
              // compares every key with the reference sort).
              const summaries = await store.messages(f);
              const uids = summaries.map((m) => m.uid);
              const bySize = [...summaries].sort((x, y) => y.size - x.size || x.uid - y.uid).map((m) => m.uid);
              assert.deepEqual([...await store.sortedUids(f, [{ column: 'size', reverse: true }], uids)], bySize, `SORT (REVERSE SIZE) of folder ${f} at step ${step}`);
              const byArrival = [...summaries].sort((x, y) => x.internalDate.getTime() - y.internalDate.getTime() || x.uid - y.uid).map((m) => m.uid);
              assert.deepEqual([...await store.sortedUids(f, [{ column: 'arrival', reverse: false }], uids)], byArrival, `SORT (ARRIVAL) of folder ${f} at step ${step}`);
            }
          }
        });
      }

      test('a snapshot is a copy: changing it or the folder afterwards leaves the other alone', async () => {
        const { store } = ctx();
        const id = `mbx-${randomUUID()}`;
        await store.provisionMailbox(id, 'en-US');
        const inbox = await mustFolder(store, id, 'INBOX');
        for (let i = 0; i < 5; i++) await store.append(inbox.id, { raw: makeMessage(), flags: i === 2 ? [] : ['\\Seen'] });
        const first = await store.snapshot(inbox.id);
        assert.deepEqual(Array.from(first.uids), [1, 2, 3, 4, 5]);
        assert.equal(first.firstUnseenUid, 3);
        first.uids[0] = 99;
        await store.expunge(inbox.id, [3]);
        await store.append(inbox.id, { raw: makeMessage(), flags: ['\\Seen'] });
        const second = await store.snapshot(inbox.id);
        assert.deepEqual(Array.from(second.uids), [1, 2, 4, 5, 6]);
        assert.equal(second.firstUnseenUid, 0);
        assert.deepEqual(Array.from(first.uids), [99, 2, 3, 4, 5]);
      });
    });

    describe('provisioning', () => {
      const ctx = useStore();

      for (const [language, names] of [['en-US', EN_US], ['zh-TW', ZH_TW]] as const) {
        test(`provisionMailbox creates INBOX and the special-use folders with ${language} names`, async () => {
          const { store } = ctx();
          const id = `mbx-${randomUUID()}`;
          await store.provisionMailbox(id, language);
          const folders = await store.folders(id);
          for (const [role, folderName] of Object.entries(names) as [FolderRole, string][]) {
            const withRole = folders.filter((f) => f.role === role);
            assert.equal(withRole.length, 1, `exactly one folder with role ${role}`);
            assert.equal(withRole[0]!.name, folderName, `name of the ${role} folder`);
            assert.equal(withRole[0]!.hidden, false, `the ${role} folder is visible`);
          }
          for (const f of folders) {
            assert.equal(f.mailboxId, id);
            // RFC 3501 §9: uniqueid and nz-number are non-zero unsigned 32-bit integers.
            assert.ok(Number.isInteger(f.uidValidity) && f.uidValidity > 0 && f.uidValidity < 2 ** 32, `UIDVALIDITY of ${f.name} is a nonzero 32-bit number: ${f.uidValidity}`);
            assert.equal(f.uidNext, 1, `a new folder starts at UIDNEXT 1 (${f.name})`);
          }
          assert.equal(new Set(folders.map((f) => f.id)).size, folders.length, 'folder ids are distinct');
          assert.equal(new Set(folders.map((f) => f.name)).size, folders.length, 'folder names are distinct');
        });
      }

      test('the Inbox is named INBOX in every language (RFC 3501 §5.1)', async () => {
        const { store } = ctx();
        const id = `mbx-${randomUUID()}`;
        await store.provisionMailbox(id, 'zh-TW');
        const inbox = await mustFolder(store, id, 'INBOX');
        assert.equal(inbox.role, 'inbox');
        assert.equal((await store.folders(id)).filter((f) => f.role === 'inbox').length, 1);
      });

      test('provisionMailbox is idempotent, even with another language', async () => {
        const { store } = ctx();
        const id = `mbx-${randomUUID()}`;
        await store.provisionMailbox(id, 'en-US');
        const first = await store.folders(id);
        await store.provisionMailbox(id, 'en-US');
        await store.provisionMailbox(id, 'zh-TW');
        const again = await store.folders(id);
        const byId = (a: Folder, b: Folder) => a.id - b.id;
        assert.deepEqual([...again].sort(byId), [...first].sort(byId), 'a second provisionMailbox adds or changes nothing');
      });

      test('mailboxes are separate: folders() lists only the asked mailbox', async () => {
        const { store } = ctx();
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        await store.createFolder(a.id, 'Only in A');
        assert.ok((await store.folders(a.id)).some((f) => f.name === 'Only in A'));
        assert.ok(!(await store.folders(b.id)).some((f) => f.name === 'Only in A'));
        assert.equal(await store.folder(b.id, 'Only in A'), undefined);
        assert.notEqual(a.inbox.id, b.inbox.id, 'each mailbox has its own INBOX');
        assert.deepEqual(await store.folders(`mbx-${randomUUID()}`), [], 'an unknown mailbox has no folders');
      });
    });

    describe('folders', () => {
      const ctx = useStore();

      test('createFolder makes nested and Chinese names, findable by folder()', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store, 'zh-TW');
        const names = ['寄件備份/2026', 'Projects', 'Projects/2026', 'Projects/2026/Q1', '專案 Alpha', 'INBOX/Sub'];
        for (const n of names) {
          const created = await store.createFolder(id, n);
          assert.equal(created.name, n);
          assert.equal(created.mailboxId, id);
          assert.equal(created.role, null, `${n} has no role`);
          assert.equal(created.hidden, false, `${n} is not hidden by default`);
          assert.equal(created.uidNext, 1);
          assert.ok(created.uidValidity > 0 && created.uidValidity < 2 ** 32, `UIDVALIDITY of ${n} is a nonzero 32-bit number`);
          const found = await mustFolder(store, id, n);
          assert.equal(found.id, created.id);
          assert.equal(found.name, n);
        }
        const listed = (await store.folders(id)).map((f) => f.name);
        for (const n of names) assert.ok(listed.includes(n), `folders() lists ${n}`);
        assert.equal(await store.folder(id, 'Projects/2027'), undefined, 'folder() of a missing name is undefined');
      });

      test('createFolder keeps the role and hidden options', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const hidden = await store.createFolder(id, 'Sync Issues', { hidden: true });
        assert.equal(hidden.hidden, true);
        assert.equal((await mustFolder(store, id, 'Sync Issues')).hidden, true);
      });

      test('createFolder of an existing name fails with "exists"', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await store.createFolder(id, 'Work');
        await expectFolderError(store.createFolder(id, 'Work'), 'exists', 'create Work twice');
        await expectFolderError(store.createFolder(id, 'INBOX'), 'exists', 'create INBOX');
        await expectFolderError(store.createFolder(id, 'Sent Items'), 'exists', 'create Sent Items');
      });

      test('a case variant of INBOX cannot be created (RFC 3501 §5.1)', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        for (const n of ['Inbox', 'inbox']) {
          await assert.rejects(store.createFolder(id, n), FolderError, `create ${n}`);
        }
        assert.equal((await store.folders(id)).filter((f) => f.name.toUpperCase() === 'INBOX').length, 1);
      });

      test('invalid folder names fail with "invalid-name"', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const before = await store.folders(id);
        const invalid = ['', '/', '/Leading', 'Trailing/', 'a//b', 'nul\x00char', 'tab\there', 'new\nline', 'cr\rhere', 'del\x7fchar', '\x1b'];
        for (const n of invalid) {
          await expectFolderError(store.createFolder(id, n), 'invalid-name', `create ${JSON.stringify(n)}`);
        }
        assert.equal((await store.folders(id)).length, before.length, 'no folder was created');
      });

      test('a deleted and recreated folder never reuses a UID under the same UIDVALIDITY (RFC 3501 §2.3.1.1)', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const old = await store.createFolder(id, 'Reborn');
        const uids = await appendAll(store, old.id, [makeMessage(), makeMessage(), makeMessage()]);
        assert.deepEqual(uids, [1, 2, 3]);
        await store.deleteFolder(id, 'Reborn');
        assert.equal(await store.folder(id, 'Reborn'), undefined);
        const reborn = await store.createFolder(id, 'Reborn');
        const first = (await store.append(reborn.id, { raw: makeMessage() })).uid;
        assertNoUidReuse({ uidValidity: old.uidValidity, maxUid: 3 }, reborn, first, 'recreated folder');
      });

      test('the id of a deleted folder is not given to a later folder, so a stale id cannot reach it', async () => {
        // A session may still hold the id of a folder another session deleted; what it does with
        // that id must fail rather than land in some other folder, perhaps of another mailbox.
        const { store } = ctx();
        const a = await newMailbox(store);
        const doomed = await store.createFolder(a.id, 'Short-lived');
        await store.deleteFolder(a.id, 'Short-lived');
        const b = await newMailbox(store);
        const later = [...(await store.folders(b.id)), await store.createFolder(a.id, 'Newcomer')];
        assert.ok(!later.some((f) => f.id === doomed.id), `folder id ${doomed.id} was reused by ${later.filter((f) => f.id === doomed.id).map((f) => `${f.mailboxId}:${f.name}`).join(', ')}`);
        await assert.rejects(store.append(doomed.id, { raw: makeMessage() }), 'append to a deleted folder id rejects');
      });

      test('subscriptions: the default folders start subscribed, a created folder does not', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const defaults = (await store.folders(id)).map((f) => f.name).sort();
        assert.deepEqual(await store.subscriptions(id), defaults);
        await store.createFolder(id, 'News');
        assert.deepEqual(await store.subscriptions(id), defaults);
      });

      test('setSubscribed adds and removes names, says whether the list changed, and is per mailbox', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const other = await newMailbox(store);
        const before = await store.subscriptions(other.id);
        await store.createFolder(id, 'News');
        assert.equal(await store.setSubscribed(id, 'News', true), true);
        assert.equal(await store.setSubscribed(id, 'News', true), false, 'already subscribed');
        assert.ok((await store.subscriptions(id)).includes('News'));
        // Any name: the list is the client's (RFC 3501 §6.3.6), and a shared folder's name is "Other Users/...".
        assert.equal(await store.setSubscribed(id, 'Other Users/bob/Projects', true), true);
        assert.equal(await store.setSubscribed(id, 'inbox', false), true, 'INBOX in any case');
        assert.ok(!(await store.subscriptions(id)).includes('INBOX'));
        assert.equal(await store.setSubscribed(id, 'News', false), true);
        assert.equal(await store.setSubscribed(id, 'News', false), false, 'not subscribed any more');
        assert.deepEqual((await store.subscriptions(id)).filter((n) => n === 'News' || n.startsWith('Other')), ['Other Users/bob/Projects']);
        assert.deepEqual(await store.subscriptions(other.id), before, 'another mailbox is untouched');
      });

      test('a deleted folder stays subscribed (RFC 3501 §6.3.6); one created again under the name is subscribed', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await store.createFolder(id, 'Gone');
        await store.setSubscribed(id, 'Gone', true);
        await store.deleteFolder(id, 'Gone');
        assert.ok((await store.subscriptions(id)).includes('Gone'));
        await store.createFolder(id, 'Gone');
        assert.ok((await store.subscriptions(id)).includes('Gone'));
      });

      test('a renamed folder and its children keep their subscriptions under the new names', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        for (const name of ['Old', 'Old/Sub', 'Old/Other', 'Oldish']) await store.createFolder(id, name);
        for (const name of ['Old', 'Old/Sub', 'Oldish']) await store.setSubscribed(id, name, true);
        await store.renameFolder(id, 'Old', 'New');
        const list = await store.subscriptions(id);
        assert.ok(list.includes('New') && list.includes('New/Sub') && list.includes('Oldish'), list.join(', '));
        assert.ok(!list.includes('Old') && !list.includes('Old/Sub') && !list.includes('New/Other'), list.join(', '));
      });

      test('removeMailbox clears its subscriptions', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await store.setSubscribed(id, 'Whatever', true);
        await store.removeMailbox(id);
        assert.deepEqual(await store.subscriptions(id), []);
      });

      test('renameFolder renames the folder and all its children, keeping their messages', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        for (const n of ['a', 'a/b', 'a/b/c', 'ab', 'ab/c']) await store.createFolder(id, n);
        const rawB = makeMessage({ subject: 'in a/b' });
        const rawC = makeMessage({ subject: 'in a/b/c' });
        const ab = await mustFolder(store, id, 'a/b');
        const abc = await mustFolder(store, id, 'a/b/c');
        await store.append(ab.id, { raw: rawB, flags: ['\\Flagged'] });
        await store.append(abc.id, { raw: rawC });

        await store.renameFolder(id, 'a', 'x');

        const names = (await store.folders(id)).map((f) => f.name);
        for (const n of ['x', 'x/b', 'x/b/c']) assert.ok(names.includes(n), `${n} exists after the rename`);
        for (const n of ['a', 'a/b', 'a/b/c']) assert.ok(!names.includes(n), `${n} is gone after the rename`);
        // A sibling that merely starts with the same letters is not a child.
        for (const n of ['ab', 'ab/c']) assert.ok(names.includes(n), `${n} is untouched`);
        assert.ok(!names.includes('xb') && !names.includes('xb/c'));

        const xb = await mustFolder(store, id, 'x/b');
        const xbc = await mustFolder(store, id, 'x/b/c');
        const [mb] = await store.messages(xb.id);
        const [mc] = await store.messages(xbc.id);
        assert.ok(mb && mc, 'the messages moved with their folders');
        assert.deepEqual(await store.readBlob(mb.blobId), rawB);
        assert.deepEqual(await store.readBlob(mc.blobId), rawC);
        assert.deepEqual(mb.flags, ['\\Flagged']);
        assert.equal((await store.status(xb.id)).messages, 1);

        // A subtree can move under another parent and be renamed again.
        await store.renameFolder(id, 'x/b', 'y');
        const after = (await store.folders(id)).map((f) => f.name);
        assert.ok(after.includes('y') && after.includes('y/c'), 'x/b → y carries x/b/c to y/c');
        assert.ok(!after.includes('x/b') && !after.includes('x/b/c'));
        assert.ok(after.includes('x'), 'the old parent stays');
        assert.equal((await store.status((await mustFolder(store, id, 'y/c')).id)).messages, 1);
      });

      test('renaming INBOX moves its messages to the new folder and leaves an empty INBOX (RFC 3501 §6.3.5)', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const raws = [makeMessage({ subject: 'one' }), makeMessage({ subject: 'two' })];
        await appendAll(store, inbox.id, raws);
        await store.createFolder(id, 'INBOX/Sub');
        const sub = await mustFolder(store, id, 'INBOX/Sub');
        await store.append(sub.id, { raw: makeMessage() });

        await store.renameFolder(id, 'INBOX', 'Old Inbox');

        const moved = await mustFolder(store, id, 'Old Inbox');
        assert.equal(moved.role, null, 'the new folder is not the Inbox');
        const movedMessages = await store.messages(moved.id);
        assert.equal(movedMessages.length, 2);
        assert.deepEqual(
          (await Promise.all(movedMessages.map((m) => store.readBlob(m.blobId)))).map(sha256).sort(),
          raws.map(sha256).sort(),
          'the Inbox messages are in the new folder, byte for byte',
        );

        const newInbox = await mustFolder(store, id, 'INBOX');
        assert.equal(newInbox.role, 'inbox');
        assert.equal((await store.status(newInbox.id)).messages, 0, 'INBOX is empty');
        assert.deepEqual(await store.messages(newInbox.id), []);
        // "If the server implementation supports inferior hierarchical names of INBOX, these are
        // unaffected by a rename of INBOX."
        assert.equal((await store.status((await mustFolder(store, id, 'INBOX/Sub')).id)).messages, 1, 'INBOX/Sub is unaffected');
        assert.equal(await store.folder(id, 'Old Inbox/Sub'), undefined);

        // New mail still lands in INBOX without reusing the moved messages' UIDs.
        const first = (await store.append(newInbox.id, { raw: makeMessage() })).uid;
        assertNoUidReuse({ uidValidity: inbox.uidValidity, maxUid: 2 }, newInbox, first, 'INBOX after rename');
      });

      test('renameFolder refuses an existing target, a missing source and an invalid name', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await store.createFolder(id, 'One');
        await store.createFolder(id, 'Two');
        await expectFolderError(store.renameFolder(id, 'One', 'Two'), 'exists', 'rename onto an existing folder');
        await expectFolderError(store.renameFolder(id, 'One', 'Sent Items'), 'exists', 'rename onto Sent Items');
        await expectFolderError(store.renameFolder(id, 'Missing', 'Three'), 'not-found', 'rename a missing folder');
        await expectFolderError(store.renameFolder(id, 'One', 'bad//name'), 'invalid-name', 'rename to an invalid name');
        assert.ok(await store.folder(id, 'One'), 'One is still there');
        assert.ok(await store.folder(id, 'Two'), 'Two is still there');
      });

      test('a folder cannot be renamed into its own subtree', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await store.createFolder(id, 'Loop');
        await store.createFolder(id, 'Loop/Inner');
        const before = (await store.folders(id)).map((f) => f.name).sort();
        await assert.rejects(store.renameFolder(id, 'Loop', 'Loop/Inner/Loop'), FolderError);
        await assert.rejects(store.renameFolder(id, 'Loop', 'Loop/Other'), FolderError);
        assert.deepEqual((await store.folders(id)).map((f) => f.name).sort(), before, 'nothing was renamed');
      });

      test('deleteFolder refuses INBOX ("protected"), a parent ("has-children") and a missing folder ("not-found")', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        await expectFolderError(store.deleteFolder(id, 'INBOX'), 'protected', 'delete INBOX');
        await store.createFolder(id, 'Parent');
        await store.createFolder(id, 'Parent/Child');
        await expectFolderError(store.deleteFolder(id, 'Parent'), 'has-children', 'delete a folder with children');
        assert.ok(await store.folder(id, 'Parent'), 'the parent is still there');
        assert.ok(await store.folder(id, 'Parent/Child'), 'the child is still there');
        await expectFolderError(store.deleteFolder(id, 'Nowhere'), 'not-found', 'delete a missing folder');
        await store.deleteFolder(id, 'Parent/Child');
        await store.deleteFolder(id, 'Parent');
        assert.equal(await store.folder(id, 'Parent'), undefined, 'the parent goes once its child is gone');
        assert.ok(await store.folder(id, 'INBOX'));
      });

      test('deleteFolder puts its messages into Recoverable Items with reason "folder-delete"', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const folder = await store.createFolder(id, 'Doomed');
        const raws = [makeMessage({ subject: 'Doomed one' }), makeMessage({ subject: 'Doomed two' })];
        await appendAll(store, folder.id, raws);
        const before = await store.usage(id);
        assert.equal(before.bytes, raws[0]!.length + raws[1]!.length);
        assert.equal(before.messages, 2);

        await store.deleteFolder(id, 'Doomed');

        assert.equal(await store.folder(id, 'Doomed'), undefined);
        const items = await store.recoverableItems(id);
        assert.equal(items.length, 2);
        for (const item of items) {
          assert.equal(item.reason, 'folder-delete');
          assert.equal(item.folderName, 'Doomed');
          assert.equal(item.mailboxId, id);
        }
        assert.deepEqual(items.map((i) => i.subject).sort(), ['Doomed one', 'Doomed two']);
        const usage = await store.usage(id);
        assert.equal(usage.bytes, 0);
        assert.equal(usage.messages, 0);
        assert.equal(usage.recoverableBytes, before.bytes);
      });
    });

    describe('append, read and status', () => {
      const ctx = useStore();

      test('UIDs rise from 1, UIDNEXT and MODSEQ advance with every append (RFC 3501 §2.3.1.1, RFC 7162 §3.1)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        let last = await store.status(inbox.id);
        assert.equal(last.uidNext, 1);
        assert.equal(last.messages, 0);
        for (let i = 1; i <= 5; i++) {
          const result = await store.append(inbox.id, { raw: makeMessage() });
          assert.equal(result.uid, i, 'UIDs are 1, 2, 3, …');
          assert.equal(result.uidValidity, inbox.uidValidity);
          assert.ok(result.modseq > 0, 'MODSEQ is positive (RFC 7162)');
          assert.ok(result.modseq > last.highestModseq, 'each append has a higher MODSEQ than the folder had');
          const status = await store.status(inbox.id);
          assert.equal(status.uidNext, i + 1);
          assert.equal(status.highestModseq, result.modseq, 'HIGHESTMODSEQ is the last append');
          assert.equal(status.messages, i);
          const folder = await mustFolder(store, inbox.mailboxId, 'INBOX');
          assert.equal(folder.uidNext, status.uidNext, 'folder() agrees with status() on UIDNEXT');
          assert.equal(folder.highestModseq, status.highestModseq, 'folder() agrees with status() on HIGHESTMODSEQ');
          assert.equal((await mustMessage(store, inbox.id, i)).modseq, result.modseq);
          last = status;
        }
      });

      test('receivedDateRange is the oldest and newest internal date, and follows expunges', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        assert.equal(await store.receivedDateRange(inbox.id), undefined, 'an empty folder has no range');
        const dates = ['2025-03-01T08:00:00Z', '2024-01-15T10:30:00Z', '2026-11-30T23:59:59Z'].map((d) => new Date(d));
        const uids: number[] = [];
        for (const internalDate of dates) uids.push((await store.append(inbox.id, { raw: makeMessage(), internalDate })).uid);
        let range = await store.receivedDateRange(inbox.id);
        assert.equal(range?.oldest.toISOString(), '2024-01-15T10:30:00.000Z');
        assert.equal(range?.newest.toISOString(), '2026-11-30T23:59:59.000Z');
        await store.expunge(inbox.id, [uids[1]!, uids[2]!]);
        range = await store.receivedDateRange(inbox.id);
        assert.equal(range?.oldest.toISOString(), '2025-03-01T08:00:00.000Z');
        assert.equal(range?.newest.toISOString(), '2025-03-01T08:00:00.000Z');
      });

      test('append keeps flags and internal date; the default internal date is now', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const date = new Date('2024-02-29T13:14:15.000Z');
        const withFlags = await store.append(inbox.id, { raw: makeMessage(), flags: ['\\Seen', '\\Flagged', '$Forwarded'], internalDate: date });
        const m1 = await mustMessage(store, inbox.id, withFlags.uid);
        assert.deepEqual(sorted(m1.flags), sorted(['\\Seen', '\\Flagged', '$Forwarded']));
        assert.ok(m1.internalDate instanceof Date);
        assert.equal(m1.internalDate.getTime(), date.getTime(), 'the internal date given is kept');

        const t0 = Date.now();
        const plain = await store.append(inbox.id, { raw: makeMessage() });
        const t1 = Date.now();
        const m2 = await mustMessage(store, inbox.id, plain.uid);
        assert.deepEqual(m2.flags, [], 'no flags unless given');
        // Internal dates may be kept to the second (RFC 3501 date-time has no fractions).
        assert.ok(m2.internalDate.getTime() >= t0 - 1000 && m2.internalDate.getTime() <= t1 + 1000, `default internal date ${m2.internalDate.toISOString()} is now`);
      });

      test('readBlob is byte-exact for every octet, bare CR and LF, leading dots and 8-bit text', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const everyByte = Buffer.alloc(256 * 4);
        for (let i = 0; i < everyByte.length; i++) everyByte[i] = i % 256;
        const raws = [
          makeMessage({ body: everyByte }),
          makeMessage({ body: 'bare CR\rin the middle\rand bare LF\nhere\n\r\n' }),
          makeMessage({ body: '.\r\n..leading dots\r\n.\r\n.\r\n' }),
          makeMessage({ subject: '=?UTF-8?B?5ris6Kmm?=', body: Buffer.concat([Buffer.from('8-bit: 中文測試 ', 'utf8'), iconv.encode('繁體中文 Big5', 'big5'), Buffer.from([0xff, 0xfe, 0x00, 0x0d])]) }),
          Buffer.from('no header/body separator and no final newline', 'latin1'),
          Buffer.from([0x00]),
        ];
        for (const raw of raws) {
          const { uid } = await store.append(inbox.id, { raw });
          const m = await mustMessage(store, inbox.id, uid);
          assert.equal(m.size, raw.length, 'size is the byte length (RFC822.SIZE)');
          const back = await store.readBlob(m.blobId);
          assert.ok(Buffer.isBuffer(back));
          assert.ok(back.equals(raw), `bytes of UID ${uid} come back unchanged`);
        }
      });

      test('readBlob ranges are start-inclusive, end-exclusive, clamped at the end (RFC 3501 §6.4.5)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const raw = makeMessage({ body: randomBytes(5000) });
        const { uid } = await store.append(inbox.id, { raw });
        const { blobId } = await mustMessage(store, inbox.id, uid);
        const cases: [number, number][] = [[0, 10], [10, 20], [100, 4100], [raw.length - 7, raw.length], [0, raw.length], [5, 5]];
        for (const [start, end] of cases) {
          const part = await store.readBlob(blobId, { start, end });
          assert.ok(part.equals(raw.subarray(start, end)), `range ${start}..${end} (end exclusive) has ${end - start} bytes`);
        }
        assert.ok((await store.readBlob(blobId, { start: raw.length - 3, end: raw.length + 100 })).equals(raw.subarray(raw.length - 3)), 'a range past the end is clamped');
        assert.equal((await store.readBlob(blobId, { start: raw.length + 10, end: raw.length + 20 })).length, 0, 'a range starting past the end is empty');
      });

      test('status counts messages, unseen (no \\Seen), recent and size', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const raws = [makeMessage(), makeMessage({ body: 'longer body '.repeat(50) }), makeMessage(), makeMessage()];
        await store.append(inbox.id, { raw: raws[0]!, flags: ['\\Seen'] });
        await store.append(inbox.id, { raw: raws[1]! });
        await store.append(inbox.id, { raw: raws[2]!, flags: ['\\Seen', '\\Answered'] });
        await store.append(inbox.id, { raw: raws[3]!, flags: ['\\Flagged'] });
        const status = await store.status(inbox.id);
        assert.equal(status.messages, 4);
        assert.equal(status.unseen, 2);
        assert.equal(status.recent, 4, 'appended messages are recent until claimed');
        assert.equal(status.size, raws.reduce((n, r) => n + r.length, 0));
        assert.equal(status.uidNext, 5);
        assert.equal(status.uidValidity, inbox.uidValidity);
        const usage = await store.usage(inbox.mailboxId);
        assert.equal(usage.bytes, status.size);
        assert.equal(usage.messages, 4);
        assert.equal(usage.recoverableBytes, 0);
      });

      test('messages() lists by ascending UID with an inclusive UID range; message() finds one', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const raws = [makeMessage(), makeMessage(), makeMessage(), makeMessage(), makeMessage()];
        await appendAll(store, inbox.id, raws);
        const all = await store.messages(inbox.id);
        assert.deepEqual(all.map((m) => m.uid), [1, 2, 3, 4, 5]);
        all.forEach((m, i) => assert.equal(m.size, raws[i]!.length));
        assert.deepEqual((await store.messages(inbox.id, { fromUid: 2, toUid: 4 })).map((m) => m.uid), [2, 3, 4]);
        assert.deepEqual((await store.messages(inbox.id, { fromUid: 4 })).map((m) => m.uid), [4, 5]);
        assert.deepEqual((await store.messages(inbox.id, { toUid: 2 })).map((m) => m.uid), [1, 2]);
        assert.deepEqual((await store.messages(inbox.id, { fromUid: 6 })).map((m) => m.uid), []);
        assert.deepEqual(await store.message(inbox.id, 3), all[2]);
        assert.equal(await store.message(inbox.id, 6), undefined);
        assert.equal(await store.message(inbox.id, 0), undefined);
      });

      test('the same raw message in two mailboxes has the same content-addressed blobId', async () => {
        const { store } = ctx();
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        const raw = makeMessage();
        const ra = await store.append(a.inbox.id, { raw });
        const rb = await store.append(b.inbox.id, { raw });
        const ma = await mustMessage(store, a.inbox.id, ra.uid);
        const mb = await mustMessage(store, b.inbox.id, rb.uid);
        assert.equal(ma.blobId, mb.blobId, 'identical bytes share one blob');
        const other = await store.append(a.inbox.id, { raw: Buffer.concat([raw, Buffer.from('x')]) });
        assert.notEqual((await mustMessage(store, a.inbox.id, other.uid)).blobId, ma.blobId, 'different bytes, different blob');
        assert.ok((await store.readBlob(ma.blobId)).equals(raw));
      });

      test('readBlob of an unknown blobId rejects', async () => {
        const { store } = ctx();
        await assert.rejects(store.readBlob(sha256(randomBytes(32))));
        await assert.rejects(store.readBlob('no-such-blob'));
      });

      test('append to a folder that does not exist rejects', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await assert.rejects(store.append(inbox.id + 1_000_000, { raw: makeMessage() }));
      });
    });

    describe('flags', () => {
      const ctx = useStore();

      test('storeFlags adds, removes and replaces system flags and keywords', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const [u1, u2] = await appendAll(store, inbox.id, [makeMessage(), makeMessage()]) as [number, number];

        let r = await store.storeFlags(inbox.id, [u1, u2], 'add', ['\\Seen', '$Forwarded']);
        assert.deepEqual(r.changed.map((c) => c.uid).sort(), [u1, u2]);
        assert.deepEqual(r.failedUnchangedSince, []);
        for (const c of r.changed) assert.deepEqual(sorted(c.flags), sorted(['\\Seen', '$Forwarded']));

        r = await store.storeFlags(inbox.id, [u1], 'remove', ['\\Seen']);
        assert.deepEqual(r.changed.map((c) => c.uid), [u1]);
        assert.deepEqual(r.changed[0]!.flags, ['$Forwarded']);
        assert.deepEqual((await mustMessage(store, inbox.id, u1)).flags, ['$Forwarded']);

        r = await store.storeFlags(inbox.id, [u2], 'replace', [...SYSTEM_FLAGS, 'Junk']);
        assert.deepEqual(sorted(r.changed[0]!.flags), sorted([...SYSTEM_FLAGS, 'Junk']));
        assert.deepEqual(sorted((await mustMessage(store, inbox.id, u2)).flags), sorted([...SYSTEM_FLAGS, 'Junk']));

        r = await store.storeFlags(inbox.id, [u2], 'replace', []);
        assert.deepEqual((await mustMessage(store, inbox.id, u2)).flags, [], 'replace with nothing clears every flag');

        const status = await store.status(inbox.id);
        assert.equal(status.unseen, 2, 'unseen follows \\Seen');
      });

      test('keyword case is preserved and a flag is never stored twice', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const { uid } = await store.append(inbox.id, { raw: makeMessage() });
        await store.storeFlags(inbox.id, [uid], 'add', ['MyKeyword', '$Label1', 'NonJunk']);
        assert.deepEqual(sorted((await mustMessage(store, inbox.id, uid)).flags), sorted(['MyKeyword', '$Label1', 'NonJunk']));
        const again = await store.storeFlags(inbox.id, [uid], 'add', ['MyKeyword', 'MyKeyword']);
        assert.deepEqual(again.changed, [], 'adding a flag already set changes nothing');
        const flags = (await mustMessage(store, inbox.id, uid)).flags;
        assert.equal(flags.filter((f) => f === 'MyKeyword').length, 1);
      });

      test('\\Recent cannot be stored (RFC 3501 §2.3.2)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const { uid } = await store.append(inbox.id, { raw: makeMessage() });
        assert.ok(!(await mustMessage(store, inbox.id, uid)).flags.some((f) => f.toLowerCase() === '\\recent'), '\\Recent is not a stored flag');
        await store.storeFlags(inbox.id, [uid], 'add', ['\\Recent', '\\Seen']);
        const flags = (await mustMessage(store, inbox.id, uid)).flags;
        assert.ok(!flags.some((f) => f.toLowerCase() === '\\recent'), `\\Recent was stored: ${flags.join(' ')}`);
        assert.ok(flags.includes('\\Seen'), 'the other flags of the same STORE still apply');
        await store.storeFlags(inbox.id, [uid], 'replace', ['\\Recent']);
        assert.ok(!(await mustMessage(store, inbox.id, uid)).flags.some((f) => f.toLowerCase() === '\\recent'));
      });

      test('MODSEQ moves only for messages whose flags actually changed (RFC 7162 §3.1.3)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const [u1, u2, u3] = await appendAll(store, inbox.id, [makeMessage(), makeMessage(), makeMessage()]) as [number, number, number];
        await store.storeFlags(inbox.id, [u2], 'add', ['\\Seen']);
        const before = await store.status(inbox.id);
        const m2before = await mustMessage(store, inbox.id, u2);

        const r = await store.storeFlags(inbox.id, [u1, u2, u3], 'add', ['\\Seen']);
        assert.deepEqual(r.changed.map((c) => c.uid).sort((a, b) => a - b), [u1, u3], 'only the messages without \\Seen changed');
        for (const c of r.changed) {
          assert.ok(c.modseq > before.highestModseq, 'a changed message gets a MODSEQ above the old HIGHESTMODSEQ');
          assert.equal((await mustMessage(store, inbox.id, c.uid)).modseq, c.modseq);
        }
        assert.equal((await mustMessage(store, inbox.id, u2)).modseq, m2before.modseq, 'the unchanged message keeps its MODSEQ');
        const after = await store.status(inbox.id);
        assert.equal(after.highestModseq, Math.max(...r.changed.map((c) => c.modseq)));

        const noop = await store.storeFlags(inbox.id, [u1, u2, u3], 'remove', ['\\Draft']);
        assert.deepEqual(noop.changed, []);
        assert.equal((await store.status(inbox.id)).highestModseq, after.highestModseq, 'a STORE that changes nothing leaves HIGHESTMODSEQ');

        const replaceSame = await store.storeFlags(inbox.id, [u1], 'replace', ['\\Seen']);
        assert.deepEqual(replaceSame.changed, [], 'replacing flags with the same set is no change');
      });

      test('UNCHANGEDSINCE refuses messages modified after the given MODSEQ and leaves them alone (RFC 7162 §3.1.3)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const [u1, u2, u3] = await appendAll(store, inbox.id, [makeMessage(), makeMessage(), makeMessage()]) as [number, number, number];
        const seen = (await store.status(inbox.id)).highestModseq;
        // Another session changes u1 after we looked.
        await store.storeFlags(inbox.id, [u1], 'add', ['$Label2']);
        const m1 = await mustMessage(store, inbox.id, u1);

        const r = await store.storeFlags(inbox.id, [u1, u2, u3], 'add', ['\\Flagged'], seen);
        assert.deepEqual(r.failedUnchangedSince, [u1]);
        assert.deepEqual(r.changed.map((c) => c.uid).sort((a, b) => a - b), [u2, u3]);
        const m1after = await mustMessage(store, inbox.id, u1);
        assert.deepEqual(m1after.flags, ['$Label2'], 'the refused message is not changed');
        assert.equal(m1after.modseq, m1.modseq);
        assert.ok((await mustMessage(store, inbox.id, u2)).flags.includes('\\Flagged'));

        // A message whose MODSEQ equals UNCHANGEDSINCE is still "unchanged since".
        const m2 = await mustMessage(store, inbox.id, u2);
        const exact = await store.storeFlags(inbox.id, [u2], 'add', ['\\Answered'], m2.modseq);
        assert.deepEqual(exact.failedUnchangedSince, []);
        assert.deepEqual(exact.changed.map((c) => c.uid), [u2]);
      });

      test('UNCHANGEDSINCE 0 fails every message, since MODSEQs are always above 0 (RFC 7162 §3.1.3)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const uids = await appendAll(store, inbox.id, [makeMessage(), makeMessage()]);
        const before = await store.messages(inbox.id);
        const r = await store.storeFlags(inbox.id, uids, 'add', ['\\Seen'], 0);
        assert.deepEqual([...r.failedUnchangedSince].sort((a, b) => a - b), uids);
        assert.deepEqual(r.changed, []);
        assert.deepEqual(await store.messages(inbox.id), before);
      });

      test('storeFlags ignores UIDs that do not exist', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const { uid } = await store.append(inbox.id, { raw: makeMessage() });
        const r = await store.storeFlags(inbox.id, [uid, uid + 1, 999], 'add', ['\\Seen']);
        assert.deepEqual(r.changed.map((c) => c.uid), [uid]);
        assert.deepEqual(r.failedUnchangedSince, []);
        assert.equal((await store.messages(inbox.id)).length, 1);
      });
    });

    describe('copy and move', () => {
      const ctx = useStore();

      test('copy gives new UIDs in the target in source order, copies flags and internal date, leaves the source (RFC 4315 COPYUID)', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const target = await mustFolder(store, id, 'Archive');
        await appendAll(store, target.id, [makeMessage()]); // the target already has UID 1
        const date = new Date('2025-05-05T05:05:05.000Z');
        const raws = [makeMessage(), makeMessage(), makeMessage()];
        await store.append(inbox.id, { raw: raws[0]!, flags: ['\\Seen'], internalDate: date });
        await store.append(inbox.id, { raw: raws[1]!, flags: ['\\Flagged', '$Work'] });
        await store.append(inbox.id, { raw: raws[2]! });
        const sourceBefore = await store.messages(inbox.id);
        const targetBefore = await store.status(target.id);

        const r = await store.copy(inbox.id, [3, 1, 2, 77], target.id);
        assert.equal(r.uidValidity, target.uidValidity);
        assert.deepEqual(r.mapping.map(([s]) => s).sort(), [1, 2, 3], 'missing UIDs are skipped');
        const targetUids = r.mapping.map(([, t]) => t);
        assert.ok(targetUids.every((u) => u >= targetBefore.uidNext), 'new UIDs start at the old UIDNEXT');
        const bySource = [...r.mapping].sort((a, b) => a[0] - b[0]);
        assert.deepEqual(bySource.map(([, t]) => t), [...targetUids].sort((a, b) => a - b), 'target UIDs ascend in source UID order');
        assert.equal(new Set(targetUids).size, 3);

        for (const [s, t] of r.mapping) {
          const src = sourceBefore.find((m) => m.uid === s)!;
          const copy = await mustMessage(store, target.id, t);
          assert.deepEqual(sorted(copy.flags), sorted(src.flags), `flags of ${s} → ${t}`);
          assert.equal(copy.internalDate.getTime(), src.internalDate.getTime(), 'internal date is kept (RFC 3501 §6.4.7)');
          assert.equal(copy.size, src.size);
          assert.ok((await store.readBlob(copy.blobId)).equals(raws[s - 1]!));
        }
        assert.deepEqual(await store.messages(inbox.id), sourceBefore, 'the source is untouched');
        const targetAfter = await store.status(target.id);
        assert.equal(targetAfter.messages, targetBefore.messages + 3);
        assert.ok(targetAfter.uidNext > Math.max(...targetUids));
        assert.ok(targetAfter.highestModseq > targetBefore.highestModseq);
        assert.equal((await store.usage(id)).messages, 7, 'copies count as messages of the mailbox');
      });

      test('copies are recent in the target (RFC 3501 §6.4.7)', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const target = await mustFolder(store, id, 'Archive');
        await appendAll(store, inbox.id, [makeMessage(), makeMessage()]);
        const r = await store.copy(inbox.id, [1, 2], target.id);
        assert.equal((await store.status(target.id)).recent, 2);
        assert.deepEqual((await store.claimRecent(target.id)).sort((a, b) => a - b), r.mapping.map(([, t]) => t).sort((a, b) => a - b));
      });

      test('move puts the messages in the target and expunges them from the source, without Recoverable Items (RFC 6851)', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const target = await mustFolder(store, id, 'Deleted Items');
        const raws = [makeMessage(), makeMessage(), makeMessage()];
        await store.append(inbox.id, { raw: raws[0]! });
        await store.append(inbox.id, { raw: raws[1]!, flags: ['\\Seen', 'Important'] });
        await store.append(inbox.id, { raw: raws[2]! });
        const sourceBefore = await store.status(inbox.id);
        const usageBefore = await store.usage(id);

        const r = await store.move(inbox.id, [1, 2], target.id);
        assert.equal(r.uidValidity, target.uidValidity);
        assert.deepEqual(r.mapping.map(([s]) => s), [1, 2]);
        assert.ok(r.mapping[1]![1] > r.mapping[0]![1]);
        const moved = await mustMessage(store, target.id, r.mapping[1]![1]);
        assert.deepEqual(sorted(moved.flags), sorted(['\\Seen', 'Important']));
        assert.ok((await store.readBlob(moved.blobId)).equals(raws[1]!));

        assert.deepEqual((await store.messages(inbox.id)).map((m) => m.uid), [3], 'the moved messages left the source');
        const changes = await store.changesSince(inbox.id, sourceBefore.highestModseq);
        assert.deepEqual([...changes.expunged].sort((a, b) => a - b), [1, 2], 'the source reports them as expunged (VANISHED)');
        assert.ok(changes.highestModseq > sourceBefore.highestModseq, 'the source HIGHESTMODSEQ moves');
        assert.deepEqual(await store.recoverableItems(id), [], 'a moved message still exists, so it is not recoverable');
        const usage = await store.usage(id);
        assert.deepEqual(usage, usageBefore, 'a move inside one mailbox changes no usage');
      });

      test('copy or move to a folder that does not exist rejects and changes nothing', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage()]);
        const before = await store.messages(inbox.id);
        const missing = inbox.id + 1_000_000;
        await assert.rejects(store.copy(inbox.id, [1], missing));
        await assert.rejects(store.move(inbox.id, [1], missing));
        assert.deepEqual(await store.messages(inbox.id), before);
      });
    });

    describe('expunge and the change log', () => {
      const ctx = useStore();

      test('expunge removes the messages, logs them as expunged and keeps them as recoverable bytes', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const raws = [makeMessage(), makeMessage(), makeMessage(), makeMessage()];
        await appendAll(store, inbox.id, raws);
        const before = await store.status(inbox.id);
        const usageBefore = await store.usage(id);

        const removed = await store.expunge(inbox.id, [2, 4, 99]);
        assert.deepEqual([...removed].sort((a, b) => a - b), [2, 4], 'only existing UIDs are returned');
        assert.deepEqual((await store.messages(inbox.id)).map((m) => m.uid), [1, 3]);
        assert.equal(await store.message(inbox.id, 2), undefined);

        const status = await store.status(inbox.id);
        assert.equal(status.messages, 2);
        assert.equal(status.uidNext, before.uidNext, 'UIDNEXT does not move back');
        assert.ok(status.highestModseq > before.highestModseq, 'an expunge raises HIGHESTMODSEQ (RFC 7162 §3.2.10)');
        assert.equal(status.size, raws[0]!.length + raws[2]!.length);

        const changes = await store.changesSince(inbox.id, before.highestModseq);
        assert.deepEqual([...changes.expunged].sort((a, b) => a - b), [2, 4]);
        assert.deepEqual(changes.changed, []);
        assert.equal(changes.highestModseq, status.highestModseq);

        const freed = raws[1]!.length + raws[3]!.length;
        const usage = await store.usage(id);
        assert.equal(usage.bytes, usageBefore.bytes - freed);
        assert.equal(usage.messages, usageBefore.messages - 2);
        assert.equal(usage.recoverableBytes, usageBefore.recoverableBytes + freed);

        assert.deepEqual(await store.expunge(inbox.id, [2, 4]), [], 'expunging again removes nothing');
        const next = await store.append(inbox.id, { raw: makeMessage() });
        assert.equal(next.uid, 5, 'UIDs are never reused');
      });

      test('changesSince returns flag changes and appends above the given MODSEQ (RFC 7162 §3.1.4, RFC 7162 §3.2.5)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage(), makeMessage(), makeMessage()]);
        const mark = (await store.status(inbox.id)).highestModseq;

        const all = await store.changesSince(inbox.id, 0);
        assert.deepEqual(all.changed.map((m) => m.uid).sort((a, b) => a - b), [1, 2, 3], 'since 0: every message');
        assert.deepEqual(all.expunged, []);
        assert.equal(all.highestModseq, mark);

        const nothing = await store.changesSince(inbox.id, mark);
        assert.deepEqual(nothing.changed, []);
        assert.deepEqual(nothing.expunged, []);
        assert.equal(nothing.highestModseq, mark);

        await store.storeFlags(inbox.id, [2], 'add', ['\\Seen']);
        const appended = await store.append(inbox.id, { raw: makeMessage(), flags: ['\\Draft'] });
        await store.expunge(inbox.id, [3]);

        const changes = await store.changesSince(inbox.id, mark);
        const status = await store.status(inbox.id);
        assert.equal(changes.highestModseq, status.highestModseq, 'changesSince agrees with status()');
        assert.deepEqual(changes.changed.map((m) => m.uid).sort((a, b) => a - b), [2, appended.uid]);
        for (const m of changes.changed) {
          assert.ok(m.modseq > mark);
          assert.deepEqual(m, await store.message(inbox.id, m.uid), 'changed entries are full, current summaries');
        }
        assert.deepEqual(changes.expunged, [3]);

        // Asking from a point in between returns only what came after it.
        const m2 = await mustMessage(store, inbox.id, 2);
        const later = await store.changesSince(inbox.id, m2.modseq);
        assert.ok(!later.changed.some((m) => m.uid === 2));
        assert.ok(later.changed.some((m) => m.uid === appended.uid));
      });

      test('changesSince and the MODSEQs of one folder are independent of another folder', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const other = await mustFolder(store, id, 'Drafts');
        await appendAll(store, inbox.id, [makeMessage()]);
        const mark = (await store.status(inbox.id)).highestModseq;
        await appendAll(store, other.id, [makeMessage(), makeMessage()]);
        await store.expunge(other.id, [1]);
        const changes = await store.changesSince(inbox.id, mark);
        assert.deepEqual(changes.changed, []);
        assert.deepEqual(changes.expunged, []);
      });
    });

    describe('\\Recent', () => {
      const ctx = useStore();

      test('claimRecent returns new messages once, then none (RFC 3501 §2.3.2)', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage(), makeMessage(), makeMessage()]);
        assert.equal((await store.status(inbox.id)).recent, 3);
        assert.deepEqual([...(await store.claimRecent(inbox.id))].sort((a, b) => a - b), [1, 2, 3]);
        assert.deepEqual(await store.claimRecent(inbox.id), [], 'only one session gets \\Recent');
        assert.equal((await store.status(inbox.id)).recent, 0);

        await store.append(inbox.id, { raw: makeMessage() });
        assert.equal((await store.status(inbox.id)).recent, 1, 'a later arrival is recent again');
        assert.deepEqual(await store.claimRecent(inbox.id), [4]);
        assert.equal((await store.status(inbox.id)).recent, 0);
      });

      test('claiming \\Recent is not a flag change', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage()]);
        const before = await store.messages(inbox.id);
        await store.claimRecent(inbox.id);
        assert.deepEqual(await store.messages(inbox.id), before);
      });

      test('\\Recent of expunged messages is gone', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage(), makeMessage()]);
        await store.expunge(inbox.id, [1]);
        assert.equal((await store.status(inbox.id)).recent, 1);
        assert.deepEqual(await store.claimRecent(inbox.id), [2]);
      });
    });

    describe('Recoverable Items and retention', () => {
      const RETENTION = 3600;
      let clock = Date.UTC(2026, 10, 26, 12, 0, 0);
      const ctx = useStore(() => ({ retentionSeconds: RETENTION, now: () => new Date(clock) }));

      /** Moves the clock a day on and purges, so a test starts with no leftovers from the others. */
      async function freshPeriod(store: MailStore): Promise<void> {
        clock += 2 * RETENTION * 1000 + 86_400_000;
        await store.purgeExpired();
      }

      test('expunged messages are listed with folder, subject and sender decoded from the headers', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const { id, inbox } = await newMailbox(store);
        const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
        const raws = [
          makeMessage({ subject: 'Quarterly report', from: 'Alice Example <alice@example.com>' }),
          makeMessage({ subject: `=?UTF-8?B?${b64('會議通知：第四季')}?=`, from: `=?UTF-8?B?${b64('張三')}?= <zhang.san@example.com.tw>` }),
          makeMessage({ subject: `=?Big5?B?${iconv.encode('週報', 'big5').toString('base64')}?=`, from: 'lee@example.com.tw' }),
          makeMessage({ subject: 'A folded\r\n subject line' }),
        ];
        const date = new Date('2026-01-02T03:04:05.000Z');
        for (const raw of raws) await store.append(inbox.id, { raw, internalDate: date });
        await store.expunge(inbox.id, [1, 2]);
        await store.expunge(inbox.id, [3, 4], 'pop3');

        const items = await store.recoverableItems(id);
        assert.equal(items.length, 4);
        const bySubject = (s: string) => mustFind(items, (i) => i.subject === s, `item with subject ${JSON.stringify(s)} (have ${items.map((i) => JSON.stringify(i.subject)).join(', ')})`);
        const report = bySubject('Quarterly report');
        assert.ok(report.from.includes('alice@example.com') || report.from.includes('Alice Example'), `from: ${report.from}`);
        assert.equal(report.reason, 'expunge');
        const meeting = bySubject('會議通知：第四季');
        assert.ok(meeting.from.includes('張三'), `RFC 2047 sender is decoded: ${meeting.from}`);
        assert.ok(!meeting.from.includes('=?'));
        assert.equal(meeting.reason, 'expunge');
        const weekly = bySubject('週報');
        assert.equal(weekly.reason, 'pop3');
        assert.ok(weekly.from.includes('lee@example.com.tw'));
        assert.equal(bySubject('A folded subject line').reason, 'pop3', 'folded headers are unfolded (RFC 5322 §2.2.3)');

        for (const item of items) {
          assert.equal(item.mailboxId, id);
          assert.equal(item.folderName, 'INBOX');
          assert.equal(item.internalDate.getTime(), date.getTime());
          assert.ok(Math.abs(item.deletedAt.getTime() - clock) < 1000, 'deletedAt comes from StoreOptions.now');
          assert.ok(Math.abs(item.purgeAfter.getTime() - (item.deletedAt.getTime() + RETENTION * 1000)) < 1000, 'purgeAfter = deletedAt + retentionSeconds');
        }
        assert.deepEqual(items.map((i) => i.size).sort((a, b) => a - b), raws.map((r) => r.length).sort((a, b) => a - b));
        assert.equal(new Set(items.map((i) => i.id)).size, 4, 'item ids are distinct');
        assert.equal((await store.usage(id)).recoverableBytes, raws.reduce((n, r) => n + r.length, 0));
      });

      test('restoreRecoverableItems puts messages back with new, higher UIDs and the same bytes', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const { id, inbox } = await newMailbox(store);
        const raws = [makeMessage(), makeMessage(), makeMessage()];
        const date = new Date('2026-03-03T03:03:03.000Z');
        for (const raw of raws) await store.append(inbox.id, { raw, internalDate: date });
        await store.expunge(inbox.id, [1, 2]);
        const usageBefore = await store.usage(id);
        const items = await store.recoverableItems(id);
        assert.equal(items.length, 2);

        const restored = await store.restoreRecoverableItems(id, items.map((i) => i.id));
        assert.equal(restored, 2);
        const messages = await store.messages(inbox.id);
        assert.equal(messages.length, 3);
        const back = messages.filter((m) => m.uid !== 3);
        assert.equal(back.length, 2);
        for (const m of back) assert.ok(m.uid > 3, `restored UID ${m.uid} is above every UID used before`);
        assert.deepEqual(
          (await Promise.all(back.map((m) => store.readBlob(m.blobId)))).map(sha256).sort(),
          [raws[0]!, raws[1]!].map(sha256).sort(),
          'the restored messages have their original bytes',
        );
        for (const m of back) assert.equal(m.internalDate.getTime(), date.getTime(), 'the internal date is kept');
        assert.deepEqual(await store.recoverableItems(id), []);
        const usage = await store.usage(id);
        assert.equal(usage.recoverableBytes, 0);
        assert.equal(usage.bytes, usageBefore.bytes + raws[0]!.length + raws[1]!.length);
        assert.equal(usage.messages, 3);
        assert.equal(await store.restoreRecoverableItems(id, items.map((i) => i.id)), 0, 'restoring again does nothing');
      });

      test('restoring an item of a deleted folder recreates the folder', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const { id } = await newMailbox(store);
        const folder = await store.createFolder(id, 'Projects');
        const raw = makeMessage({ subject: 'Plan' });
        await store.append(folder.id, { raw });
        await store.deleteFolder(id, 'Projects');
        const [item] = await store.recoverableItems(id);
        assert.ok(item);
        assert.equal(item.folderName, 'Projects');
        assert.equal(item.reason, 'folder-delete');
        assert.equal(await store.restoreRecoverableItems(id, [item.id]), 1);
        const recreated = await mustFolder(store, id, 'Projects');
        const [m] = await store.messages(recreated.id);
        assert.ok(m);
        assert.ok((await store.readBlob(m.blobId)).equals(raw));
        assertNoUidReuse({ uidValidity: folder.uidValidity, maxUid: 1 }, recreated, m.uid, 'recreated folder');
      });

      test('purgeExpired removes items only once retentionSeconds have passed', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const { id, inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage(), makeMessage(), makeMessage()]);
        await store.expunge(inbox.id, [1, 2]);
        const deletedAt = clock;

        assert.equal(await store.purgeExpired(), 0, 'nothing has expired yet');
        clock = deletedAt + (RETENTION - 60) * 1000;
        assert.equal(await store.purgeExpired(), 0, 'a minute before the end of retention, nothing goes');
        assert.equal((await store.recoverableItems(id)).length, 2);

        clock = deletedAt + (RETENTION + 60) * 1000;
        assert.equal(await store.purgeExpired(), 2);
        assert.deepEqual(await store.recoverableItems(id), []);
        assert.equal((await store.usage(id)).recoverableBytes, 0);
        assert.equal(await store.purgeExpired(), 0);
        assert.equal((await store.messages(inbox.id)).length, 1, 'messages still in folders are not touched');
      });

      test('purgeExpired(now) uses the given time', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const { id, inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage()]);
        await store.expunge(inbox.id, [1]);
        assert.equal(await store.purgeExpired(new Date(clock + (RETENTION - 60) * 1000)), 0);
        assert.equal(await store.purgeExpired(new Date(clock + (RETENTION + 60) * 1000)), 1);
        assert.deepEqual(await store.recoverableItems(id), []);
      });

      // Two sizes, so that an engine keeping small bodies inline and large ones as files is
      // checked on both paths.
      for (const bodySize of [2048, 300 * 1024]) test(`a shared blob stays readable until its last reference is purged (${bodySize} byte body)`, async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        const raw = makeMessage({ body: randomBytes(bodySize) });
        await store.append(a.inbox.id, { raw });
        await store.append(b.inbox.id, { raw });
        const { blobId } = await mustMessage(store, a.inbox.id, 1);
        assert.equal((await mustMessage(store, b.inbox.id, 1)).blobId, blobId);

        await store.expunge(a.inbox.id, [1]);
        clock += (RETENTION + 60) * 1000;
        assert.equal(await store.purgeExpired(), 1);
        assert.ok((await store.readBlob(blobId)).equals(raw), 'still readable: mailbox B holds it');

        await store.expunge(b.inbox.id, [1]);
        assert.ok((await store.readBlob(blobId)).equals(raw), 'still readable while recoverable');
        clock += (RETENTION + 60) * 1000;
        assert.equal(await store.purgeExpired(), 1);
        await assert.rejects(store.readBlob(blobId), 'unreadable once every reference is purged');
      });

      test('a purge racing with a new append of the same bytes never loses the new message (DESIGN.md §2)', async () => {
        const { store } = ctx();
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        for (let round = 0; round < 10; round++) {
          await freshPeriod(store);
          for (const bodySize of [4096, 512 * 1024]) {
            const raw = makeMessage({ body: randomBytes(bodySize) });
            const { uid: old } = await store.append(a.inbox.id, { raw });
            await store.expunge(a.inbox.id, [old]);
            clock += (RETENTION + 60) * 1000;
            // The last reference is purged while the same content arrives again.
            const [appended] = await Promise.all([store.append(b.inbox.id, { raw }), store.purgeExpired()]);
            const m = await mustMessage(store, b.inbox.id, appended.uid);
            const back = await store.readBlob(m.blobId).catch((e: unknown) => assert.fail(`round ${round}, ${bodySize} bytes: the acknowledged message is unreadable: ${String(e)}`));
            assert.ok(back.equals(raw), `round ${round}, ${bodySize} bytes: the acknowledged message has its bytes`);
          }
        }
      });

      test('recoverableItems lists only the asked mailbox', async () => {
        const { store } = ctx();
        await freshPeriod(store);
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        await appendAll(store, a.inbox.id, [makeMessage()]);
        await appendAll(store, b.inbox.id, [makeMessage()]);
        await store.expunge(a.inbox.id, [1]);
        assert.equal((await store.recoverableItems(a.id)).length, 1);
        assert.deepEqual(await store.recoverableItems(b.id), []);
        const [item] = await store.recoverableItems(a.id);
        assert.equal(await store.restoreRecoverableItems(b.id, [item!.id]), 0, 'one mailbox cannot restore another one\'s items');
        assert.equal((await store.recoverableItems(a.id)).length, 1);
      });
    });

    describe('quota', () => {
      const limits = new Map<string, number | 'unlimited'>();
      const ctx = useStore(() => ({ quotaLimit: async (mailboxId: string) => limits.get(mailboxId) ?? 'unlimited' }));
      const SIZE = 1000;

      test('an append past the limit rejects with QuotaExceededError and stores nothing', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, 2 * SIZE + SIZE / 2);
        await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        const before = await store.status(inbox.id);
        const usageBefore = await store.usage(id);

        const err = await expectQuotaError(store.append(inbox.id, { raw: sizedMessage(SIZE) }), 'third append');
        assert.equal(err.limit, 2 * SIZE + SIZE / 2);
        assert.equal(err.needed, SIZE);
        assert.equal(err.usage, 2 * SIZE);

        assert.deepEqual(await store.status(inbox.id), before, 'status, UIDNEXT and HIGHESTMODSEQ are unchanged');
        assert.deepEqual(await store.usage(id), usageBefore);
        assert.equal((await store.messages(inbox.id)).length, 2);

        // Another mailbox with no limit is not affected.
        const other = await newMailbox(store);
        await store.append(other.inbox.id, { raw: sizedMessage(SIZE * 5) });
      });

      test('reaching the limit exactly is allowed; one byte more is not', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, 2 * SIZE);
        await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        assert.equal((await store.usage(id)).bytes, 2 * SIZE);
        const stranger = await newMailbox(store);
        limits.set(stranger.id, SIZE - 1);
        await expectQuotaError(store.append(stranger.inbox.id, { raw: sizedMessage(SIZE) }), 'append one byte over');
      });

      test('the limit is asked at each append', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, SIZE);
        await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        await expectQuotaError(store.append(inbox.id, { raw: sizedMessage(SIZE) }), 'append at the limit');
        limits.set(id, 3 * SIZE);
        const r = await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        assert.equal(r.uid, 2, 'a raised limit takes effect at once, and the refused append used no UID');
      });

      test('a copy into the mailbox past the limit rejects and copies nothing', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const archive = await mustFolder(store, id, 'Archive');
        limits.set(id, 3 * SIZE);
        await appendAll(store, inbox.id, [sizedMessage(SIZE), sizedMessage(SIZE)]);
        const before = await store.status(archive.id);
        const err = await expectQuotaError(store.copy(inbox.id, [1, 2], archive.id), 'copy of 2 messages with room for 1');
        assert.equal(err.needed, 2 * SIZE);
        assert.deepEqual(await store.status(archive.id), before, 'the target is unchanged');
        assert.equal((await store.usage(id)).bytes, 2 * SIZE);
        const ok = await store.copy(inbox.id, [1], archive.id);
        assert.equal(ok.mapping.length, 1, 'a copy that fits succeeds');
      });

      test('a full mailbox can still move messages between its folders', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const trash = await mustFolder(store, id, 'Deleted Items');
        limits.set(id, 2 * SIZE);
        await appendAll(store, inbox.id, [sizedMessage(SIZE), sizedMessage(SIZE)]);
        const r = await store.move(inbox.id, [1], trash.id);
        assert.equal(r.mapping.length, 1, 'a move needs no new space');
        assert.equal((await store.usage(id)).bytes, 2 * SIZE);
      });

      test('expunging frees space so a later append succeeds; Recoverable Items do not count', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, 2 * SIZE);
        await appendAll(store, inbox.id, [sizedMessage(SIZE), sizedMessage(SIZE)]);
        await expectQuotaError(store.append(inbox.id, { raw: sizedMessage(SIZE) }), 'append to a full mailbox');
        await store.expunge(inbox.id, [1]);
        const usage = await store.usage(id);
        assert.equal(usage.bytes, SIZE);
        assert.equal(usage.recoverableBytes, SIZE);
        const r = await store.append(inbox.id, { raw: sizedMessage(SIZE) });
        assert.equal(r.uid, 3);
      });

      test('"unlimited" never rejects', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, 'unlimited');
        const big = sizedMessage(2 * 1024 * 1024);
        for (let i = 0; i < 3; i++) await store.append(inbox.id, { raw: Buffer.concat([big, Buffer.from(String(i))]) });
        await store.copy(inbox.id, [1, 2, 3], (await mustFolder(store, id, 'Archive')).id);
        assert.equal((await store.usage(id)).messages, 6);
      });

      test('quota is checked under concurrency: parallel appends never pass the limit together', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        limits.set(id, 5 * SIZE);
        const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.append(inbox.id, { raw: sizedMessage(SIZE) })));
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(ok, 5, 'exactly as many as fit');
        for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof QuotaExceededError);
        assert.equal((await store.usage(id)).bytes, 5 * SIZE);
        assert.equal((await store.status(inbox.id)).messages, 5);
      });
    });

    describe('change notifications', () => {
      const ctx = useStore();
      type Event = Parameters<ChangeListener>[0];
      /** The event's contract fields (an engine may add more). */
      const pick = (e: Event | undefined) => e && { mailboxId: e.mailboxId, folderId: e.folderId, highestModseq: e.highestModseq };

      /**
       * Shows that every event the changes so far were going to send has been heard, so that a
       * test can say none more came: one more change (an append to `folderId`), whose event
       * comes after theirs since listeners hear a mailbox's changes in commit order. The
       * marker's event is then taken out of `events`.
       */
      async function heardEverythingBefore(store: MailStore, folderId: number, events: Event[]): Promise<void> {
        const marker = await store.append(folderId, { raw: makeMessage() });
        const isMarker = (e: Event) => e.folderId === folderId && e.highestModseq === marker.modseq;
        await waitFor(() => events.some(isMarker), 'the marker event');
        events.splice(events.findIndex(isMarker), 1);
      }

      test('a listener hears append, flags, expunge and copy with the folder and its new HIGHESTMODSEQ', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const archive = await mustFolder(store, id, 'Archive');
        const events: Event[] = [];
        const unsubscribe = store.subscribe(id, (e) => events.push(e));
        try {
          const appended = await store.append(inbox.id, { raw: makeMessage() });
          await waitFor(() => events.length >= 1, 'the append event');
          assert.deepEqual(pick(events[0]), { mailboxId: id, folderId: inbox.id, highestModseq: appended.modseq });

          const flagged = await store.storeFlags(inbox.id, [appended.uid], 'add', ['\\Seen']);
          await waitFor(() => events.length >= 2, 'the flags event');
          assert.deepEqual(pick(events[1]), { mailboxId: id, folderId: inbox.id, highestModseq: flagged.changed[0]!.modseq });

          await store.copy(inbox.id, [appended.uid], archive.id);
          await waitFor(() => events.some((e) => e.folderId === archive.id), 'the copy event in the target');
          const copyEvent = events.find((e) => e.folderId === archive.id)!;
          assert.equal(copyEvent.highestModseq, (await store.status(archive.id)).highestModseq);

          const count = events.length;
          await store.expunge(inbox.id, [appended.uid]);
          await waitFor(() => events.length > count, 'the expunge event');
          const expungeEvent = events[events.length - 1]!;
          assert.equal(expungeEvent.folderId, inbox.id);
          assert.equal(expungeEvent.highestModseq, (await store.status(inbox.id)).highestModseq);
          await heardEverythingBefore(store, archive.id, events);
          assert.equal(events.length, 4, `one event per change: ${JSON.stringify(events)}`);
        } finally {
          unsubscribe();
        }
      });

      test('a move tells both folders', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const trash = await mustFolder(store, id, 'Deleted Items');
        await store.append(inbox.id, { raw: makeMessage() });
        const events: Event[] = [];
        const unsubscribe = store.subscribe(id, (e) => events.push(e));
        try {
          await store.move(inbox.id, [1], trash.id);
          await waitFor(() => events.some((e) => e.folderId === inbox.id) && events.some((e) => e.folderId === trash.id), 'events for both folders');
          await heardEverythingBefore(store, (await mustFolder(store, id, 'Archive')).id, events);
          const last = (folderId: number) => Math.max(...events.filter((e) => e.folderId === folderId).map((e) => e.highestModseq));
          assert.equal(last(inbox.id), (await store.status(inbox.id)).highestModseq);
          assert.equal(last(trash.id), (await store.status(trash.id)).highestModseq);
        } finally {
          unsubscribe();
        }
      });

      test('a listener hears nothing about another mailbox', async () => {
        const { store } = ctx();
        const a = await newMailbox(store);
        const b = await newMailbox(store);
        const heardA: Event[] = [];
        const heardB: Event[] = [];
        const offA = store.subscribe(a.id, (e) => heardA.push(e));
        const offB = store.subscribe(b.id, (e) => heardB.push(e));
        try {
          const { uid } = await store.append(b.inbox.id, { raw: makeMessage() });
          await store.storeFlags(b.inbox.id, [uid], 'add', ['\\Flagged']);
          await store.expunge(b.inbox.id, [uid]);
          await waitFor(() => heardB.length >= 3, 'mailbox B events');
          await heardEverythingBefore(store, a.inbox.id, heardA);
          assert.deepEqual(heardA, []);
          assert.ok(heardB.every((e) => e.mailboxId === b.id && e.folderId === b.inbox.id));
        } finally {
          offA();
          offB();
        }
      });

      test('unsubscribe stops the events of that listener only', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const first: Event[] = [];
        const second: Event[] = [];
        const offFirst = store.subscribe(id, (e) => first.push(e));
        const offSecond = store.subscribe(id, (e) => second.push(e));
        try {
          await store.append(inbox.id, { raw: makeMessage() });
          await waitFor(() => first.length === 1 && second.length === 1, 'both listeners');
          offFirst();
          await store.append(inbox.id, { raw: makeMessage() });
          await waitFor(() => second.length === 2, 'the remaining listener');
          await heardEverythingBefore(store, inbox.id, second);
          assert.equal(first.length, 1, 'an unsubscribed listener hears nothing more');
        } finally {
          offFirst();
          offSecond();
        }
      });

      test('no event is missed across 200 rapid appends', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const events: Event[] = [];
        const unsubscribe = store.subscribe(id, (e) => events.push(e));
        try {
          const results = await Promise.all(Array.from({ length: 200 }, () => store.append(inbox.id, { raw: makeMessage() })));
          await waitFor(() => events.length >= 200, `200 events (have ${events.length})`, 10_000);
          await heardEverythingBefore(store, (await mustFolder(store, id, 'Archive')).id, events);
          assert.equal(events.length, 200);
          const status = await store.status(inbox.id);
          assert.equal(Math.max(...events.map((e) => e.highestModseq)), status.highestModseq, 'the last event carries the final HIGHESTMODSEQ');
          const heard = new Set(events.map((e) => e.highestModseq));
          const missing = results.filter((r) => !heard.has(r.modseq));
          assert.deepEqual(missing.map((r) => r.uid), [], 'every append was announced with its MODSEQ');
        } finally {
          unsubscribe();
        }
      });
    });

    describe('concurrency', () => {
      const ctx = useStore();

      test('50 appends at once get the distinct UIDs 1..50', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const raws = Array.from({ length: 50 }, () => makeMessage());
        const results = await Promise.all(raws.map((raw) => store.append(inbox.id, { raw })));
        assert.deepEqual(results.map((r) => r.uid).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
        assert.equal(new Set(results.map((r) => r.modseq)).size, 50, 'every append has its own MODSEQ');
        const status = await store.status(inbox.id);
        assert.equal(status.messages, 50);
        assert.equal(status.uidNext, 51);
        assert.equal(status.recent, 50);
        assert.equal(status.size, raws.reduce((n, r) => n + r.length, 0));
        assert.equal(status.highestModseq, Math.max(...results.map((r) => r.modseq)));
        const messages = await store.messages(inbox.id);
        assert.equal(messages.length, 50);
        // Each UID holds the bytes its append was given.
        for (let i = 0; i < raws.length; i++) {
          const m = messages.find((x) => x.uid === results[i]!.uid)!;
          assert.ok((await store.readBlob(m.blobId)).equals(raws[i]!), `UID ${m.uid} has the bytes of append #${i}`);
        }
      });

      test('parallel appends, flag changes and expunges across folders stay consistent', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const drafts = await mustFolder(store, id, 'Drafts');
        await appendAll(store, inbox.id, Array.from({ length: 10 }, () => makeMessage()));
        await Promise.all([
          ...Array.from({ length: 20 }, () => store.append(inbox.id, { raw: makeMessage() })),
          ...Array.from({ length: 20 }, () => store.append(drafts.id, { raw: makeMessage() })),
          ...Array.from({ length: 10 }, (_, i) => store.storeFlags(inbox.id, [i + 1], 'add', ['\\Seen'])),
          store.expunge(inbox.id, [1, 2]),
          store.copy(inbox.id, [3, 4], drafts.id),
        ]);
        const inboxStatus = await store.status(inbox.id);
        const draftsStatus = await store.status(drafts.id);
        assert.equal(inboxStatus.messages, 28);
        assert.equal(inboxStatus.uidNext, 31);
        assert.equal(draftsStatus.messages, 22);
        assert.equal(draftsStatus.uidNext, 23);
        assert.equal((await store.messages(inbox.id)).length, 28);
        assert.equal((await store.messages(drafts.id)).length, 22);
        const usage = await store.usage(id);
        assert.equal(usage.messages, 50);
        assert.equal(usage.bytes, inboxStatus.size + draftsStatus.size);
        for (const [folderId, s] of [[inbox.id, inboxStatus], [drafts.id, draftsStatus]] as const) {
          const max = Math.max(...(await store.messages(folderId)).map((m) => m.modseq));
          assert.ok(s.highestModseq >= max, 'HIGHESTMODSEQ covers every message');
        }
      });
    });

    describe('large messages', () => {
      const ctx = useStore();

      test('a 20 MB message round-trips byte for byte, whole and in a range near the end', async () => {
        const { store } = ctx();
        const { inbox } = await newMailbox(store);
        const head = Buffer.from('From: big@example.com\r\nSubject: twenty megabytes\r\n\r\n', 'utf8');
        const raw = Buffer.concat([head, randomBytes(20 * 1024 * 1024 - head.length)]);
        const { uid } = await store.append(inbox.id, { raw });
        const m = await mustMessage(store, inbox.id, uid);
        assert.equal(m.size, raw.length);
        const back = await store.readBlob(m.blobId);
        assert.equal(back.length, raw.length);
        assert.equal(sha256(back), sha256(raw), 'the whole message is byte-exact');
        const start = raw.length - 70_000;
        const end = raw.length - 3;
        assert.ok((await store.readBlob(m.blobId, { start, end })).equals(raw.subarray(start, end)), 'a range near the end is byte-exact');
        assert.equal((await store.status(inbox.id)).size, raw.length);
      });
    });

    describe('migration: kept UIDVALIDITY, UIDs, POP3 UIDLs and import keys', () => {
      const ctx = useStore(() => ({ quotaLimit: async () => 64 * 1024 }));

      test('a folder created with a given UIDVALIDITY keeps it; appends with kept UIDs keep them and UIDNEXT follows', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const folder = await store.createFolder(id, 'Imported', { uidValidity: 1700000001 });
        assert.equal(folder.uidValidity, 1700000001);
        const internalDate = new Date('2019-03-04T05:06:07Z');
        const a = await store.append(folder.id, { raw: makeMessage(), uid: 7, flags: ['\\Seen', 'Work'], internalDate, pop3Uidl: '000000076551B2C1' });
        const b = await store.append(folder.id, { raw: makeMessage(), uid: 40 });
        assert.deepEqual([a.uid, b.uid, a.uidValidity], [7, 40, 1700000001]);
        const status = await store.status(folder.id);
        assert.deepEqual([status.uidNext, status.messages, status.unseen], [41, 2, 1]);
        const seven = await mustMessage(store, folder.id, 7);
        assert.deepEqual(sorted(seven.flags), ['Work', '\\Seen']);
        assert.equal(seven.internalDate.getTime(), internalDate.getTime());
        assert.equal(seven.pop3Uidl, '000000076551B2C1');
        assert.equal((await mustMessage(store, folder.id, 40)).pop3Uidl, undefined, 'no UIDL given, none stored');
        // A UID at or below one already used would break RFC 3501's ascending UIDs.
        await expectFolderError(store.append(folder.id, { raw: makeMessage(), uid: 40 }), 'exists', 'a used UID');
        await expectFolderError(store.append(folder.id, { raw: makeMessage(), uid: 12 }), 'exists', 'a UID below UIDNEXT');
        assert.equal((await store.append(folder.id, { raw: makeMessage() })).uid, 41, 'ordinary appends continue after the kept UIDs');
        const usage = await store.usage(id);
        assert.equal(usage.messages, 3);
      });

      test('reserveUids raises UIDNEXT and never lowers it', async () => {
        const { store } = ctx();
        const { id } = await newMailbox(store);
        const folder = await store.createFolder(id, 'Reserved', { uidValidity: 99 });
        assert.equal((await store.reserveUids(folder.id, 120)).uidNext, 120);
        assert.equal((await store.reserveUids(folder.id, 50)).uidNext, 120);
        assert.equal((await store.append(folder.id, { raw: makeMessage() })).uid, 120);
        await assert.rejects(store.reserveUids(folder.id, 2 ** 33), RangeError);
      });

      test('adoptUidValidity re-bases an empty folder (the default Inbox) and refuses one with messages', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        await store.append(inbox.id, { raw: makeMessage() });
        await expectFolderError(store.adoptUidValidity(inbox.id, 1234), 'exists', 'a folder with messages');
        await store.expunge(inbox.id, [1]);
        const before = await store.status(inbox.id);
        const adopted = await store.adoptUidValidity(inbox.id, 1234);
        assert.deepEqual([adopted.uidValidity, adopted.uidNext], [1234, 1]);
        assert.ok(adopted.highestModseq > before.highestModseq, 'the change is a new MODSEQ');
        assert.deepEqual((await store.changesSince(inbox.id, 0)).expunged, [], 'the old UIDs\' change log is gone');
        assert.equal((await store.append(inbox.id, { raw: makeMessage(), uid: 1 })).uid, 1);
        await assert.rejects(store.createFolder(id, 'Zero', { uidValidity: 0 }), RangeError);
      });

      test('an import key makes a second append of the same item a duplicate, in any folder of the mailbox', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        const other = await newMailbox(store);
        const archive = await mustFolder(store, id, 'Archive');
        const raw = makeMessage();
        const first = await store.append(inbox.id, { raw, importKey: 'INBOX\u0000uid:1' });
        assert.equal(first.duplicate, undefined);
        const again = await Promise.all([
          store.append(inbox.id, { raw, importKey: 'INBOX\u0000uid:1' }),
          store.append(archive.id, { raw, importKey: 'INBOX\u0000uid:1' }),
        ]);
        assert.deepEqual(again.map((r) => r.duplicate), [true, true]);
        assert.equal((await store.status(inbox.id)).messages, 1);
        assert.equal((await store.status(archive.id)).messages, 0);
        assert.deepEqual([...await store.importedKeys(id, ['INBOX\u0000uid:1', 'INBOX\u0000uid:2'])], ['INBOX\u0000uid:1']);
        assert.equal((await store.importedKeys(other.id, ['INBOX\u0000uid:1'])).size, 0, 'keys are per mailbox');
        assert.equal((await store.append(other.inbox.id, { raw, importKey: 'INBOX\u0000uid:1' })).duplicate, undefined);
      });

      test('an append refused by the quota does not record its import key', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        await expectQuotaError(store.append(inbox.id, { raw: sizedMessage(70 * 1024), importKey: 'big' }), 'over quota');
        assert.equal((await store.importedKeys(id, ['big'])).size, 0);
        await expectFolderError(store.append(inbox.id, { raw: makeMessage(), uid: 5, importKey: 'k5' }).then(() => store.append(inbox.id, { raw: makeMessage(), uid: 3, importKey: 'k3' })), 'exists', 'UID below UIDNEXT');
        assert.deepEqual([...await store.importedKeys(id, ['k5', 'k3'])], ['k5']);
      });

      test('removeMailbox forgets the mailbox\'s import keys', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        await store.append(inbox.id, { raw: makeMessage(), importKey: 'gone' });
        await store.removeMailbox(id);
        assert.equal((await store.importedKeys(id, ['gone'])).size, 0);
      });
    });

    describe('removeMailbox', () => {
      const ctx = useStore();

      test('removeMailbox removes folders, messages, recoverable items and usage of that mailbox only', async () => {
        const { store } = ctx();
        const doomedBox = await newMailbox(store);
        const keeper = await newMailbox(store);
        const doomed = { ...doomedBox, projects: await store.createFolder(doomedBox.id, 'Projects') };
        const unique = makeMessage({ body: randomBytes(512) });
        const uniqueLarge = makeMessage({ body: randomBytes(512 * 1024) });
        await store.append(doomed.inbox.id, { raw: unique });
        await store.append(doomed.projects.id, { raw: uniqueLarge });
        await appendAll(store, doomed.inbox.id, [makeMessage(), makeMessage()]);
        await store.expunge(doomed.inbox.id, [2]);
        const keptRaw = makeMessage();
        await store.append(keeper.inbox.id, { raw: keptRaw });
        const blobIds = [(await mustMessage(store, doomed.inbox.id, 1)).blobId, (await mustMessage(store, doomed.projects.id, 1)).blobId];
        const keeperFolders = await store.folders(keeper.id);
        const keeperUsage = await store.usage(keeper.id);

        await store.removeMailbox(doomed.id);

        assert.deepEqual(await store.folders(doomed.id), []);
        assert.equal(await store.folder(doomed.id, 'INBOX'), undefined);
        assert.deepEqual(await store.usage(doomed.id), { bytes: 0, messages: 0, recoverableBytes: 0 });
        assert.deepEqual(await store.recoverableItems(doomed.id), []);
        for (const blobId of blobIds) await assert.rejects(store.readBlob(blobId), 'the removed mailbox\'s bytes are gone');

        assert.deepEqual(await store.folders(keeper.id), keeperFolders, 'the other mailbox is untouched');
        assert.deepEqual(await store.usage(keeper.id), keeperUsage);
        assert.ok((await store.readBlob((await mustMessage(store, keeper.inbox.id, 1)).blobId)).equals(keptRaw));
      });

      test('after removing the mailbox that holds the newest messages, appends elsewhere still work', async () => {
        const { store } = ctx();
        const keeper = await newMailbox(store);
        await appendAll(store, keeper.inbox.id, [makeMessage()]);
        const doomed = await newMailbox(store);
        await appendAll(store, doomed.inbox.id, [makeMessage(), makeMessage()]); // the newest rows in the store
        await store.removeMailbox(doomed.id);
        const r = await store.append(keeper.inbox.id, { raw: makeMessage() });
        assert.equal(r.uid, 2);
        const copied = await store.copy(keeper.inbox.id, [1, 2], (await mustFolder(store, keeper.id, 'Archive')).id);
        assert.equal(copied.mapping.length, 2);
      });

      test('a mailbox provisioned again after removal does not reuse UIDs under an old UIDVALIDITY', async () => {
        const { store } = ctx();
        const { id, inbox } = await newMailbox(store);
        await appendAll(store, inbox.id, [makeMessage(), makeMessage()]);
        await store.removeMailbox(id);
        await store.provisionMailbox(id, 'en-US');
        const again = await mustFolder(store, id, 'INBOX');
        assert.equal((await store.status(again.id)).messages, 0);
        const { uid } = await store.append(again.id, { raw: makeMessage() });
        assertNoUidReuse({ uidValidity: inbox.uidValidity, maxUid: 2 }, again, uid, 're-provisioned INBOX');
      });
    });

    describe('persistence', () => {
      const ctx = useStore(() => ({ retentionSeconds: 3600 }));

      test('close and reopen keeps folders, UIDs, flags, UIDNEXT, HIGHESTMODSEQ and Recoverable Items', async (t) => {
        const opened = ctx();
        if (!opened.reopen) {
          t.skip('this engine cannot reopen');
          return;
        }
        let store = opened.store;
        const { id, inbox } = await newMailbox(store, 'zh-TW');
        await store.createFolder(id, '寄件備份/2026');
        await store.createFolder(id, 'Hidden', { hidden: true });
        await store.setSubscribed(id, '寄件備份/2026', true);
        const raws = Array.from({ length: 6 }, () => makeMessage());
        await store.append(inbox.id, { raw: raws[0]!, flags: ['\\Seen', 'MyKeyword'], internalDate: new Date('2020-01-01T00:00:00.000Z') });
        await appendAll(store, inbox.id, raws.slice(1));
        await store.storeFlags(inbox.id, [2, 3], 'add', ['\\Flagged', '$Label1']);
        await store.expunge(inbox.id, [4, 6]); // 6 is the highest UID: UIDNEXT must not fall back to 6
        await store.claimRecent(inbox.id);
        const gone = await store.createFolder(id, 'Gone');
        await appendAll(store, gone.id, [makeMessage(), makeMessage()]);
        await store.deleteFolder(id, 'Gone');

        const normal = (ms: MessageSummary[]) => ms.map((m) => ({ ...m, flags: sorted(m.flags) }));
        const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
        const folders = [...(await store.folders(id))].sort(byId);
        const messages = normal(await store.messages(inbox.id));
        const status = await store.status(inbox.id);
        const items = [...(await store.recoverableItems(id))].sort(byId);
        const usage = await store.usage(id);

        store = await opened.reopen();

        assert.deepEqual([...(await store.folders(id))].sort(byId), folders, 'folders');
        assert.deepEqual(normal(await store.messages(inbox.id)), messages, 'messages, UIDs, flags and MODSEQs');
        assert.deepEqual(await store.status(inbox.id), status, 'status (UIDNEXT, HIGHESTMODSEQ, counts)');
        assert.deepEqual([...(await store.recoverableItems(id))].sort(byId), items, 'Recoverable Items');
        assert.deepEqual(await store.usage(id), usage, 'usage');
        for (const [i, raw] of raws.entries()) {
          const m = await store.message(inbox.id, i + 1);
          if (m) assert.ok((await store.readBlob(m.blobId)).equals(raw), `bytes of UID ${i + 1}`);
        }

        const next = await store.append(inbox.id, { raw: makeMessage() });
        assert.equal(next.uid, 7, 'UIDs continue after the highest ever used, even if it was expunged');
        assert.equal(next.uidValidity, status.uidValidity);
        assert.ok(next.modseq > status.highestModseq, 'MODSEQs continue upward');

        const reborn = await store.createFolder(id, 'Gone');
        const first = (await store.append(reborn.id, { raw: makeMessage() })).uid;
        assertNoUidReuse({ uidValidity: gone.uidValidity, maxUid: 2 }, reborn, first, 'folder recreated after reopen');

        assert.equal(await store.restoreRecoverableItems(id, items.map((i) => i.id)), items.length, 'items survive and can be restored');
      });
    });
  });
}
