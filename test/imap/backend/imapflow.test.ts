// imapflow, the IMAP client most Node.js mail software uses, against the IMAP4 back end over
// implicit TLS: special-use folders in two languages, APPEND with flags and dates, byte-exact
// FETCH, body parts, SEARCH (with Chinese), flags, COPY/MOVE with COPYUID, EXPUNGE into
// Recoverable Items, folders with Chinese names, STATUS, IDLE push and CONDSTORE. (How fast the
// push arrives is measured by the IMAP benchmark, bench/imap.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { eventually } from '../../helpers.ts';
import { imapflow, message, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const clients: ImapFlow[] = [];

/** STATUS through imapflow, which answers `false` when the command fails. */
async function statusOf(client: ImapFlow, path: string, query: Parameters<ImapFlow['status']>[1]) {
  const status = await client.status(path, query);
  assert.ok(status, `STATUS ${path}`);
  return status;
}

async function connect(user: string): Promise<ImapFlow> {
  const client = imapflow(server, user);
  clients.push(client);
  await client.connect();
  return client;
}

const MULTIPART = [
  'From: =?UTF-8?B?546L5bCP5piO?= <xiaoming@fabrikam.com>',
  'To: mei@contoso.com',
  'Subject: =?UTF-8?B?5pyD6K2w6KiY6YyE?=',
  'Date: Tue, 03 Nov 2026 09:30:00 +0800',
  'Message-ID: <minutes-1@fabrikam.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="sep"',
  '',
  '--sep',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  '今天的會議記錄在附件裡。',
  '--sep',
  'Content-Type: application/octet-stream; name="minutes.bin"',
  'Content-Disposition: attachment; filename="minutes.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64'),
  '--sep--',
  '',
].join('\r\n');

before(async () => {
  server = await startServer();
  await server.addUser('alice');
  await server.addUser('mei', { language: 'zh-TW' });
  await server.addUser('idler');
});

after(async () => {
  for (const c of clients) await c.logout().catch(() => c.close());
  await server?.stop();
});

describe('imapflow', () => {
  test('LIST finds the special-use folders by their localized names', async () => {
    const mei = await connect('mei@contoso.com');
    const zh = new Map((await mei.list()).map((m) => [m.specialUse, m.path]));
    assert.equal(zh.get('\\Sent'), '寄件備份');
    assert.equal(zh.get('\\Trash'), '刪除的郵件');
    assert.equal(zh.get('\\Drafts'), '草稿');
    assert.equal(zh.get('\\Junk'), '垃圾郵件');
    assert.equal(zh.get('\\Inbox'), 'INBOX');
    const alice = await connect('alice@contoso.com');
    const en = new Map((await alice.list()).map((m) => [m.specialUse, m.path]));
    assert.equal(en.get('\\Sent'), 'Sent Items');
    assert.equal(en.get('\\Trash'), 'Deleted Items');
  });

  test('APPEND with flags and a date, then FETCH: envelope, structure, flags, exact bytes', async () => {
    const mei = await connect('mei@contoso.com');
    const date = new Date('2026-11-03T01:30:00Z');
    const appended = await mei.append('INBOX', MULTIPART, ['\\Flagged', '$Important'], date);
    assert.ok(appended && appended.uid, 'APPENDUID');
    const lock = await mei.getMailboxLock('INBOX');
    try {
      const got = await mei.fetchOne(String(appended.uid), { uid: true, flags: true, envelope: true, bodyStructure: true, source: true, internalDate: true, size: true }, { uid: true });
      assert.ok(got);
      assert.equal(got.source!.toString('utf8'), MULTIPART, 'BODY[] is byte-exact');
      assert.equal(got.size, Buffer.byteLength(MULTIPART));
      assert.equal(new Date(got.internalDate!).getTime(), date.getTime());
      // imapflow turns on IMAP4rev2, which has no \Recent (RFC 9051 §2.3.2).
      assert.ok([...mei.enabled].some((e) => /^imap4rev2$/i.test(e)), [...mei.enabled].join(' '));
      assert.deepEqual([...got.flags!].sort(), ['$Important', '\\Flagged']);
      assert.equal(got.envelope!.subject, '會議記錄');
      assert.deepEqual(got.envelope!.from, [{ name: '王小明', address: 'xiaoming@fabrikam.com' }]);
      assert.equal(got.envelope!.messageId, '<minutes-1@fabrikam.com>');
      const structure = got.bodyStructure!;
      assert.equal(structure.type, 'multipart/mixed');
      assert.equal(structure.childNodes?.[0]?.type, 'text/plain');
      assert.equal(structure.childNodes?.[1]?.disposition, 'attachment');
      assert.equal(structure.childNodes?.[1]?.encoding, 'base64');

      const parts = await mei.fetchOne(String(appended.uid), { bodyParts: ['1', '2', '1.MIME'] }, { uid: true });
      assert.ok(parts && parts.bodyParts);
      assert.equal(parts.bodyParts.get('1')!.toString('utf8'), '今天的會議記錄在附件裡。');
      assert.equal(parts.bodyParts.get('2')!.toString('latin1'), `${Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64')}`);
      assert.match(parts.bodyParts.get('1.mime')!.toString(), /^Content-Type: text\/plain; charset=utf-8\r\n/);
      // The PEEK forms leave \Seen alone.
      const flags = await mei.fetchOne(String(appended.uid), { flags: true }, { uid: true });
      assert.ok(flags && !flags.flags!.has('\\Seen'));
    } finally {
      lock.release();
    }
  });

  test('SEARCH by sender, Chinese subject, body text, unseen and date', async () => {
    const alice = await connect('alice@contoso.com');
    const lock = await alice.getMailboxLock('INBOX');
    try {
      const uids: number[] = [];
      const add = async (raw: string, flags: string[], date: Date) => {
        const r = await alice.append('INBOX', raw, flags, date);
        assert.ok(r && r.uid);
        uids.push(r.uid);
      };
      await add(message('季度報告', '請查閱第三季的銷售數字。', { From: 'Chen <chen@fabrikam.com>', 'Content-Type': 'text/plain; charset=utf-8' }), ['\\Seen'], new Date('2026-10-01T10:00:00Z'));
      await add(message('Lunch on Friday', 'The usual place at noon?', { From: 'Bob <bob@contoso.com>' }), [], new Date('2026-11-02T10:00:00Z'));
      await add(message('=?UTF-8?B?5YWs5Y+45pel5pyf?=', 'Company picnic details inside.', { From: 'HR <hr@contoso.com>' }), [], new Date('2026-11-05T10:00:00Z'));
      const [report, lunch, picnic] = uids as [number, number, number];
      assert.deepEqual(await alice.search({ from: 'chen@fabrikam.com' }, { uid: true }), [report]);
      assert.deepEqual(await alice.search({ subject: '季度' }, { uid: true }), [report]);
      // An encoded-word subject is searched in its decoded form.
      assert.deepEqual(await alice.search({ subject: '公司' }, { uid: true }), [picnic]);
      assert.deepEqual(await alice.search({ body: '銷售' }, { uid: true }), [report]);
      assert.deepEqual(await alice.search({ body: 'noon' }, { uid: true }), [lunch]);
      assert.deepEqual(await alice.search({ seen: false }, { uid: true }), [lunch, picnic]);
      assert.deepEqual(await alice.search({ since: new Date('2026-11-01T00:00:00Z') }, { uid: true }), [lunch, picnic]);
      assert.deepEqual(await alice.search({ or: [{ from: 'bob@contoso.com' }, { subject: '季度' }] }, { uid: true }), [report, lunch]);
      // ESEARCH through imapflow's returnOptions.
      const counted = await alice.search({ all: true }, { uid: true, returnOptions: ['COUNT', 'MIN', 'MAX'] });
      assert.deepEqual({ ...counted }, { count: 3, min: report, max: picnic });
    } finally {
      lock.release();
    }
  });

  test('flags added and removed; another session sees the change', async () => {
    const alice = await connect('alice@contoso.com');
    const watcher = await connect('alice@contoso.com');
    const lock = await alice.getMailboxLock('INBOX');
    const watch = await watcher.getMailboxLock('INBOX');
    try {
      const seen: { uid?: number; flags: Set<string> }[] = [];
      watcher.on('flags', (e: { uid?: number; flags: Set<string> }) => seen.push(e));
      assert.equal(await alice.messageFlagsAdd('1:*', ['\\Answered', '$Forwarded']), true);
      assert.equal(await alice.messageFlagsRemove('1', ['$Forwarded']), true);
      const all = await alice.fetchAll('1:*', { flags: true });
      assert.ok(all.every((m) => m.flags!.has('\\Answered')));
      assert.equal(all[0]!.flags!.has('$Forwarded'), false);
      assert.equal(all[1]!.flags!.has('$Forwarded'), true);
      await watcher.noop();
      assert.ok(seen.length >= all.length, `FETCH FLAGS pushed to the other session: ${seen.length}`);
    } finally {
      watch.release();
      lock.release();
    }
  });

  test('COPY and MOVE report COPYUID; EXPUNGE goes to Recoverable Items', async () => {
    const alice = await connect('alice@contoso.com');
    await alice.mailboxCreate('Projects');
    const lock = await alice.getMailboxLock('INBOX');
    try {
      const before = (await statusOf(alice, 'Projects', { uidNext: true })).uidNext!;
      const copied = await alice.messageCopy('1:2', 'Projects');
      assert.ok(copied && copied.uidMap);
      assert.equal(copied.uidMap.size, 2);
      assert.deepEqual([...copied.uidMap.values()], [before, before + 1]);
      const inboxBefore = alice.mailbox && alice.mailbox.exists;
      const moved = await alice.messageMove('3', 'Sent Items');
      assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
      assert.equal(alice.mailbox && alice.mailbox.exists, (inboxBefore as number) - 1, 'the moved message left the INBOX view');
      const subjects = (await alice.fetchAll('1:*', { envelope: true })).map((m) => m.envelope!.subject);
      assert.equal(subjects.length, 2);

      assert.equal(await alice.messageDelete('1'), true);
      assert.equal((await statusOf(alice, 'INBOX', { messages: true })).messages, 1);
      const { store, mailbox } = await server.folderOf('alice');
      const recoverable = await store.recoverableItems(mailbox.id);
      assert.deepEqual(recoverable.map((r) => [r.folderName, r.subject, r.reason]), [['INBOX', subjects[0], 'expunge']]);
    } finally {
      lock.release();
    }
  });

  test('folders with Chinese names: create, rename, status, delete', async () => {
    const mei = await connect('mei@contoso.com');
    const created = await mei.mailboxCreate('寄件備份/2026');
    assert.equal(created.path, '寄件備份/2026');
    const listed = (await mei.list()).find((m) => m.path === '寄件備份/2026');
    assert.ok(listed, 'the new folder is listed');
    assert.equal((await mei.list()).find((m) => m.path === '寄件備份')?.specialUse, '\\Sent');
    const r = await mei.append('寄件備份/2026', message('已寄出', '內容'), ['\\Seen']);
    assert.ok(r && r.uid === 1);
    const renamed = await mei.mailboxRename('寄件備份/2026', '寄件備份/二〇二六');
    assert.equal(renamed.newPath, '寄件備份/二〇二六');
    const status = await statusOf(mei, '寄件備份/二〇二六', { messages: true, unseen: true, uidNext: true, highestModseq: true });
    assert.equal(status.messages, 1);
    assert.equal(status.unseen, 0);
    assert.equal(status.uidNext, 2);
    assert.ok(typeof status.highestModseq === 'bigint' && status.highestModseq > 0n);
    const lock = await mei.getMailboxLock('寄件備份/二〇二六');
    try {
      const got = await mei.fetchOne('1', { envelope: true });
      assert.ok(got && got.envelope!.subject === '已寄出');
    } finally {
      lock.release();
    }
    await mei.mailboxDelete('寄件備份/二〇二六');
    assert.equal((await mei.list()).some((m) => m.path.startsWith('寄件備份/')), false);
    await assert.rejects(mei.status('寄件備份/二〇二六', { messages: true }));
  });

  test('IDLE: a message appended by another session arrives as EXISTS, and the session keeps idling', async () => {
    const idler = await connect('idler@contoso.com');
    const writer = await connect('idler@contoso.com');
    await idler.mailboxOpen('INBOX');
    // imapflow would enter IDLE on its own after autoIdleDelay; start it now and wait for `+ idling`.
    const idling = idler.idle();
    await eventually(() => idler.idling, 2000, 5);
    for (let round = 1; round <= 3; round++) {
      const arrived = new Promise<{ count: number }>((resolve) => {
        idler.once('exists', (e: { count: number }) => resolve({ count: e.count }));
      });
      await writer.append('INBOX', message(`push ${round}`, 'hello'));
      // Pushed without any command from the idler: a lost push hangs here until the test times out.
      const got = await arrived;
      assert.equal(got.count, round);
      assert.ok(idler.idling, 'still idling after the push');
    }
    // Any command ends IDLE with DONE; the server must answer the IDLE's tag.
    await idler.noop();
    await idling;
    assert.equal(idler.idling, false);
  });

  test('CONDSTORE: FETCH CHANGEDSINCE and STORE UNCHANGEDSINCE', async () => {
    const alice = await connect('alice@contoso.com');
    assert.ok(alice.enabled.has('CONDSTORE'), 'imapflow enables CONDSTORE when offered');
    await alice.mailboxCreate('Sync');
    for (let i = 1; i <= 3; i++) await alice.append('Sync', message(`sync ${i}`, 'x'));
    const lock = await alice.getMailboxLock('Sync');
    try {
      const start = alice.mailbox && alice.mailbox.highestModseq;
      assert.ok(typeof start === 'bigint');
      assert.equal((await alice.fetchAll('1:*', { flags: true }, { changedSince: start })).length, 0);
      await alice.messageFlagsAdd('2', ['\\Seen']);
      const changed = await alice.fetchAll('1:*', { flags: true }, { changedSince: start });
      assert.deepEqual(changed.map((m) => m.seq), [2]);
      assert.ok(changed[0]!.modseq! > start);
      // UNCHANGEDSINCE older than message 2's MODSEQ: message 2 is refused, 1 and 3 change.
      await alice.messageFlagsAdd('1:3', ['\\Flagged'], { unchangedSince: start });
      const flagged = (await alice.fetchAll('1:*', { flags: true })).map((m) => m.flags!.has('\\Flagged'));
      assert.deepEqual(flagged, [true, false, true]);
    } finally {
      lock.release();
    }
  });
});
