// The mailbox locator, enforced, on a running server: a PostgreSQL directory with MAIL01 and
// MAIL02 (joined as `setup --join` joins it), and one `mailroom start --server MAIL01` process.
// bob's mailbox is in MAIL02's database, and MAIL02 is down: his IMAP4 and POP3 logons at MAIL01
// get the temporary errors, never an empty mailbox, and no file of MAIL02's database appears in
// MAIL01's data folder; the cmdlets that read a mailbox name the server that holds it. Dismount-Database on
// MAIL01's own database ends the sessions on it and gives temporary errors (SMTP too) until
// Mount-Database. Carol, in a second database of MAIL01, sends to alice meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { Directory } from '../../src/directory/directory.ts';
import { joinOrganization, setupOrganization } from '../../src/host/setup.ts';
import { ENGINES } from '../engines.ts';
import { LineClient } from '../frontend/line-client.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { freePortOffset, mailroom, mailroomOk, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';

const PASSWORD = 'Locator-Pass-2026';
const data = tempDataDir('mailroom-locator-');
let cleanup: (() => Promise<void>) | undefined;
let dir: Directory;
let server: RunningServer | undefined;
let offset: number;
let env: Record<string, string>;

before(async () => {
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  cleanup = pg.cleanup;
  dir = await Directory.openWith(pg.db);
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', fqdn: 'mail01.contoso.com', adminPassword: 'Admin-Pass-2026' });
  await joinOrganization(dir, { server: 'MAIL02', fqdn: 'mail02.contoso.com' });
  await useFastPasswords(dir);
  for (const service of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', service, 'Automatic');
  await dir.setServiceStartupType('MAIL01', 'web', 'Disabled');
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', database: 'Mailbox Database MAIL01', credentials: await fastCredentials(PASSWORD) });
  await dir.addMailboxDatabase({ name: 'Second Database', server: 'MAIL01' });
  await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', database: 'Second Database', credentials: await fastCredentials(PASSWORD) });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', database: 'Mailbox Database MAIL02', credentials: await fastCredentials(PASSWORD) });
  offset = await freePortOffset();
  env = { MAILROOM_DIRECTORY: pg.url!, MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  server = await startMailroom(['start', '--server', 'MAIL01'], env);
});

after(async () => {
  await server?.stop();
  await dir?.close();
  await cleanup?.();
  data.cleanup();
});

const mail02Folder = () => join(data.path, 'databases', 'Mailbox Database MAIL02');

async function imapLogon(user: string): Promise<{ client: LineClient; reply: string }> {
  const client = new LineClient(await LineClient.connect(993 + offset, true));
  assert.match(await client.line(), /^\* OK/);
  client.send(`a1 LOGIN ${user}@contoso.com ${PASSWORD}`);
  let reply = await client.line();
  while (reply.startsWith('* ')) reply = await client.line();
  return { client, reply };
}

async function popLogon(user: string): Promise<string> {
  const client = new LineClient(await LineClient.connect(995 + offset, true));
  try {
    assert.match(await client.line(), /^\+OK/);
    client.send(`USER ${user}@contoso.com`);
    assert.match(await client.line(), /^\+OK/);
    client.send(`PASS ${PASSWORD}`);
    return await client.line();
  } finally {
    client.close();
  }
}

function submit(from: string, to: string) {
  return nodemailer.createTransport({
    host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, auth: { user: from, pass: PASSWORD }, tls: { rejectUnauthorized: false },
  }).sendMail({ envelope: { from, to: [to] }, raw: `From: ${from}\r\nTo: ${to}\r\nSubject: Locator\r\n\r\nHello.\r\n` });
}

/** An SMTP refusal with this reply. */
function refusedWith(pattern: RegExp) {
  return (err: Error & { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 451, err.message);
    assert.match(err.response ?? '', pattern);
    return true;
  };
}

test('a MAIL02 mailbox logging on at MAIL01: IMAP4 NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP], and no copy of MAIL02\'s database here', async () => {
  const bob = await imapLogon('bob');
  assert.match(bob.reply, /^a1 NO \[UNAVAILABLE\] /);
  bob.client.close();
  assert.match(await popLogon('bob'), /^-ERR \[SYS\/TEMP\] /);
  // MAIL01's front ends send bob to MAIL02's back ends (the locator says MAIL02 holds him), and
  // MAIL02 is not running: the temporary error, and MAIL01's own back ends never open his database.
  await server!.waitFor(/the imap4-backend of MAIL02 cannot be reached/);
  await server!.waitFor(/the pop3-backend of MAIL02 cannot be reached/);

  const alice = await imapLogon('alice');
  assert.match(alice.reply, /^a1 OK /);
  alice.client.send('a2 SELECT INBOX');
  let line = await alice.client.line();
  while (line.startsWith('* ')) line = await alice.client.line();
  assert.match(line, /^a2 OK /);
  alice.client.close();

  assert.ok(existsSync(join(data.path, 'databases', 'Mailbox Database MAIL01')), 'MAIL01 opened its own database');
  assert.ok(!existsSync(mail02Folder()), 'MAIL01 made no copy of MAIL02\'s database');
});

test('cmdlets that open a mailbox held elsewhere fail naming the server that holds it, and create nothing', () => {
  const here = { ...env, MAILROOM_SERVER: 'MAIL01' };
  for (const cmdlet of [['Get-MailboxStatistics', 'bob'], ['Get-RecoverableItems', 'bob'], ['Get-MailboxFolderStatistics', 'bob']]) {
    const r = mailroom(cmdlet, here);
    assert.equal(r.status, 1, cmdlet.join(' '));
    assert.match(r.stderr, /The mailbox bob@contoso\.com is in the database Mailbox Database MAIL02, mounted on MAIL02, not on this server\./, cmdlet.join(' '));
  }
  assert.ok(!existsSync(mail02Folder()));
  assert.match(mailroomOk(['Get-MailboxStatistics', 'alice'], here).stdout, /Database\s+: Mailbox Database MAIL01/);
});

test('Dismount-Database ends the sessions on it and gives temporary errors; Mount-Database brings it back', async () => {
  const held = await imapLogon('alice');
  assert.match(held.reply, /^a1 OK /);
  held.client.send('a2 SELECT INBOX');
  let line = await held.client.line();
  while (line.startsWith('* ')) line = await held.client.line();

  mailroomOk(['Dismount-Database', 'Mailbox Database MAIL01'], env);
  assert.match(await held.client.line(), /^\* BYE \[UNAVAILABLE\] The mailbox database was dismounted/);
  await held.client.waitClosed();
  await server!.waitFor(/mailbox databases closed: no longer mounted on this server/);

  assert.match((await imapLogon('alice')).reply, /^a1 NO \[UNAVAILABLE\] /);
  assert.match(await popLogon('alice'), /^-ERR \[SYS\/TEMP\] /);
  // For this recipient alone (RCPT), and for a sender whose own mailbox is there (MAIL FROM).
  await assert.rejects(submit('carol@contoso.com', 'alice@contoso.com'), refusedWith(/^451 4\.4\.0 The recipient's mailbox database Mailbox Database MAIL01 is not available now; try again later/));
  await assert.rejects(submit('alice@contoso.com', 'carol@contoso.com'), refusedWith(/^451 4\.4\.0 Your mailbox database Mailbox Database MAIL01 is not available now; try again later/));
  const stats = mailroom(['Get-MailboxStatistics', 'alice'], { ...env, MAILROOM_SERVER: 'MAIL01' });
  assert.match(stats.stderr, /Mailbox Database MAIL01 of alice@contoso\.com is dismounted \(Mount-Database 'Mailbox Database MAIL01' mounts it on MAIL01\)/);

  mailroomOk(['Mount-Database', 'Mailbox Database MAIL01'], env);
  // The running server applies the change at its next look at the directory (within a second).
  let reply = '';
  for (let i = 0; i < 40 && !reply.startsWith('a1 OK'); i++) {
    const again = await imapLogon('alice');
    reply = again.reply;
    again.client.close();
    if (!reply.startsWith('a1 OK')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(reply, /^a1 OK /);
  assert.match(await popLogon('alice'), /^\+OK/);
  const sent = await submit('carol@contoso.com', 'alice@contoso.com');
  assert.match(sent.response, /^250 /);
});
