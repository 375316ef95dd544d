// In-process delivery into the mailbox databases: the folder a delivery goes to is remembered,
// and a remembered folder that was deleted since (a client removed Junk Email) is looked up again
// instead of failing the delivery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxDelivery } from '../../src/backend/delivery.ts';
import { startSmtpServer, type SmtpTestServer } from '../smtp/harness.ts';

let s: SmtpTestServer;
before(async () => {
  s = await startSmtpServer();
});
after(async () => s.stop());

const raw = (subject: string) => Buffer.from(`From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: ${subject}\r\n\r\nHello.\r\n`);

test('Junk Email deleted after a delivery there: the next one goes to the Inbox, not to an error', async () => {
  const delivery = new MailboxDelivery(s.dir, s.databases);
  const bob = await s.dir.requireMailbox('bob');
  const first = await delivery.deliver([{ address: 'bob@contoso.com', mailbox: bob, message: raw('quarantined 1'), folder: 'junk' }]);
  assert.equal(first[0]!.ok, true);
  assert.equal((await s.messages('bob', 'junk')).length, 1);
  const store = await s.databases.storeFor(bob);
  const junk = (await store.folders(bob.id)).find((f) => f.role === 'junk')!;
  await store.deleteFolder(bob.id, junk.name);
  const inboxBefore = (await s.messages('bob')).length;
  const second = await delivery.deliver([{ address: 'bob@contoso.com', mailbox: bob, message: raw('quarantined 2'), folder: 'junk' }]);
  assert.equal(second[0]!.ok, true, JSON.stringify(second));
  assert.equal((await s.messages('bob')).length, inboxBefore + 1);
});
