// Mailboxes a user has FullAccess to appear under "Other Users/<alias>/" (RFC 2342 NAMESPACE):
// listed, selectable, searchable and writable, with changes pushed like the user's own.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
  await server.addUser('chris');
  await server.addUser('dana');
  const sales = await server.dir.createMailbox({ name: 'Sales Department', alias: 'sales', type: 'shared', settings: { Languages: ['zh-TW'] } });
  await server.dir.addMailboxPermission(sales.id, 'chris', 'FullAccess');
  await server.seed('sales', 'From: client@fabrikam.com\r\nSubject: Order 42\r\n\r\n訂單內容\r\n');
});
after(async () => server.stop());

test('NAMESPACE names the shared namespace only for users who have one', async () => {
  const chris = await RawClient.login(server.tlsPort, 'chris@contoso.com');
  assert.ok((await chris.command('N1', 'NAMESPACE')).includes('* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL'));
  const dana = await RawClient.login(server.tlsPort, 'dana@contoso.com');
  assert.ok((await dana.command('N1', 'NAMESPACE')).includes('* NAMESPACE (("" "/")) NIL NIL'));
  const list = await dana.command('N2', 'LIST "" *');
  assert.ok(!list.some((l) => l.includes('Other Users')), list.join('\n'));
  await chris.command('Z', 'LOGOUT');
  await dana.command('Z', 'LOGOUT');
});

test('LIST shows the shared mailbox with its localized folders and no special uses', async () => {
  const c = await RawClient.login(server.tlsPort, 'chris@contoso.com');
  const list = await c.command('L1', 'LIST "" *');
  assert.ok(list.includes('* LIST (\\Noselect \\HasChildren) "/" "Other Users"'), list.join('\n'));
  assert.ok(list.includes('* LIST (\\Noselect \\HasChildren) "/" "Other Users/sales"'), list.join('\n'));
  assert.ok(list.includes('* LIST (\\HasNoChildren) "/" "Other Users/sales/INBOX"'), list.join('\n'));
  // 寄件備份 in modified UTF-7, without \Sent: the user's own Sent folder stays the only one.
  assert.ok(list.includes('* LIST (\\HasNoChildren) "/" "Other Users/sales/&W8RO9lCZTv0-"'), list.join('\n'));
  assert.equal(list.filter((l) => l.includes('\\Sent')).length, 1);
  const top = await c.command('L2', 'LIST "" %');
  assert.ok(top.includes('* LIST (\\Noselect \\HasChildren) "/" "Other Users"'), top.join('\n'));
  assert.ok(!top.some((l) => l.includes('Other Users/')), top.join('\n'));
  await c.command('Z', 'LOGOUT');
});

test('a shared folder can be selected, searched, flagged, appended to and copied within', async () => {
  const c = await RawClient.login(server.tlsPort, 'chris@contoso.com');
  const select = await c.command('S1', 'SELECT "Other Users/sales/INBOX"');
  assert.ok(select.includes('* 1 EXISTS'), select.join('\n'));
  assert.match(select.at(-1)!, /^S1 OK \[READ-WRITE\]/);
  const search = await c.command('S2', 'SEARCH SUBJECT "Order 42"');
  assert.ok(search.includes('* SEARCH 1'), search.join('\n'));
  assert.match((await c.command('S3', 'STORE 1 +FLAGS (\\Flagged)')).at(-1)!, /^S3 OK/);
  const status = await c.command('S4', 'STATUS "Other Users/sales/INBOX" (MESSAGES)');
  assert.ok(status.includes('* STATUS "Other Users/sales/INBOX" (MESSAGES 1)'), status.join('\n'));
  const append = await c.command('S5', Buffer.from('APPEND "Other Users/sales/INBOX" {27}\r\nSubject: from chris\r\n\r\nhi\r\n'));
  assert.match(append.at(-1)!, /^S5 OK \[APPENDUID \d+ 2\]/, append.join('\n'));
  const copy = await c.command('S6', 'COPY 1 "Other Users/sales/&W8RO9lCZTv0-"');
  assert.match(copy.at(-1)!, /^S6 OK \[COPYUID /, copy.join('\n'));
  // The copy landed in the shared mailbox, not in chris's own Sent Items.
  const { store, folder } = await server.folderOf('sales', '寄件備份');
  assert.equal((await store.messages(folder.id)).length, 1);
  assert.match((await c.command('S7', 'CREATE "Other Users/sales/Projects"')).at(-1)!, /^S7 OK/);
  assert.ok(await store.folder((await server.dir.requireMailbox('sales')).id, 'Projects'));
  assert.match((await c.command('S8', 'CREATE "Other Users/sales"')).at(-1)!, /^S8 NO \[CANNOT\]/);
  assert.match((await c.command('S9', 'SELECT "Other Users/nobody/INBOX"')).at(-1)!, /^S9 NO \[NONEXISTENT\]/);
  await c.command('Z', 'LOGOUT');
});

test('a user without FullAccess cannot reach the shared mailbox by name', async () => {
  const d = await RawClient.login(server.tlsPort, 'dana@contoso.com');
  assert.match((await d.command('D1', 'SELECT "Other Users/sales/INBOX"')).at(-1)!, /^D1 NO \[NONEXISTENT\]/);
  assert.match((await d.command('D2', Buffer.from('APPEND "Other Users/sales/INBOX" {4}\r\nx\r\n\r\n'))).at(-1)!, /^D2 NO/);
  await d.command('Z', 'LOGOUT');
});

test("subscribing a shared folder puts it on the user's own list, not the owner's; it stays after access ends", async () => {
  await server.addUser('erin');
  const sales = await server.dir.requireMailbox('sales');
  await server.dir.addMailboxPermission(sales.id, 'erin', 'FullAccess');
  const { store } = await server.folderOf('sales');
  const ownersBefore = await store.subscriptions(sales.id);
  const e = await RawClient.login(server.tlsPort, 'erin@contoso.com');
  assert.match((await e.command('U1', 'SUBSCRIBE "Other Users/sales/inbox"')).at(-1)!, /^U1 OK/);
  assert.ok((await e.command('U2', 'LSUB "" "Other Users/*"')).includes('* LSUB (\\HasNoChildren) "/" "Other Users/sales/INBOX"'));
  const top = await e.command('U3', 'LSUB "" %');
  assert.ok(top.includes('* LSUB (\\Noselect) "/" "Other Users"'), top.join('\n'));
  assert.ok((await e.command('U4', 'LIST (SUBSCRIBED) "" "Other Users/*"')).includes('* LIST (\\HasNoChildren \\Subscribed) "/" "Other Users/sales/INBOX"'));
  assert.deepEqual(await store.subscriptions(sales.id), ownersBefore, "the owner's list is untouched");
  await e.command('Z', 'LOGOUT');
  // Access taken away: the name stays on erin's list, shown as gone, and can be unsubscribed.
  await server.dir.removeMailboxPermission(sales.id, 'erin', 'FullAccess');
  const again = await RawClient.login(server.tlsPort, 'erin@contoso.com');
  assert.ok((await again.command('U5', 'LIST (SUBSCRIBED) "" "Other Users/*"')).includes('* LIST (\\NonExistent \\Subscribed) "/" "Other Users/sales/INBOX"'));
  assert.match((await again.command('U6', 'UNSUBSCRIBE "Other Users/sales/INBOX"')).at(-1)!, /^U6 OK/);
  assert.deepEqual(await again.command('U7', 'LSUB "" "Other Users/*"'), ['U7 OK LSUB completed.']);
  await again.command('Z', 'LOGOUT');
});
