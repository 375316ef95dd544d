// An admin brings back mail a POP3 client took away: Get-RecoverableItems and
// Restore-RecoverableItems from the command line against the mailbox database on disk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Directory } from '../../src/directory/directory.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { mailroom, tempDataDir } from '../helpers.ts';

const data = tempDataDir();
const env = { MAILROOM_DATA: data.path };
after(() => data.cleanup());

test('deleted mail is listed, filtered and restored with new UIDs', async () => {
  assert.equal(mailroom(['setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026'], env).status, 0);
  assert.equal(mailroom(['New-Mailbox', '-Name', '王小明', '-Alias', 'xiaoming', '-Languages', 'zh-TW', '-Password', 'Secret-2026x'], env).status, 0);

  process.env.MAILROOM_DATA = data.path;
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  const mailbox = await directory.requireMailbox('xiaoming');
  const store = await databases.storeFor(mailbox);
  const inbox = (await store.folder(mailbox.id, 'INBOX'))!;
  assert.ok(await store.folder(mailbox.id, '寄件備份'), 'zh-TW folders');
  const msg = (subject: string) => Buffer.from(`From: Boss <boss@contoso.com>\r\nSubject: ${subject}\r\n\r\nHello\r\n`);
  await store.append(inbox.id, { raw: msg('Invoice 2026-11') });
  await store.append(inbox.id, { raw: msg('=?UTF-8?B?5pyD6K2w6YCa55+l?=') });
  await store.append(inbox.id, { raw: msg('Lunch') });
  assert.deepEqual(await store.expunge(inbox.id, [1, 2, 3], 'pop3'), [1, 2, 3]);
  await databases.closeAll();
  await directory.close();

  const list = JSON.parse(mailroom(['Get-RecoverableItems', 'xiaoming', '--json'], env).stdout);
  assert.deepEqual(list.map((i: { Subject: string }) => i.Subject), ['Invoice 2026-11', '會議通知', 'Lunch']);
  assert.equal(list[0].Reason, 'pop3');
  assert.equal(list[0].LastParentPath, 'INBOX');
  const filtered = JSON.parse(mailroom(['Get-RecoverableItems', 'xiaoming', '-SubjectContains', '會議', '--json'], env).stdout);
  assert.equal(filtered.length, 1);

  const restored = mailroom(['Restore-RecoverableItems', 'xiaoming', '-SubjectContains', 'invoice', '--json'], env);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(JSON.parse(restored.stdout).Subject, 'Invoice 2026-11');
  assert.equal(JSON.parse(mailroom(['Get-RecoverableItems', 'xiaoming', '--json'], env).stdout).length, 2);
  const stats = JSON.parse(mailroom(['Get-MailboxStatistics', 'xiaoming', '--json'], env).stdout)[0];
  assert.equal(stats.ItemCount, 1);

  const again = await Directory.open();
  const dbs = new MailboxDatabases(again);
  const s2 = await dbs.storeFor(mailbox);
  const back = await s2.messages(inbox.id);
  assert.equal(back.length, 1);
  assert.equal(back[0]!.uid, 4, 'restored messages get new UIDs, never reused ones');
  assert.match((await s2.readBlob(back[0]!.blobId)).toString(), /Invoice 2026-11/);
  await dbs.closeAll();
  await again.close();
  delete process.env.MAILROOM_DATA;
});
