// Two Mailroom servers as two `mailroom start` processes sharing one PostgreSQL directory, each
// with its own data folder and port offset: MAIL01 (all roles) takes a submission on 587 for a
// mailbox whose database is mounted on MAIL02 (--role backend), and the message travels over
// MAIL02's mail delivery port (LMTP, 2525 + its offset, the port its heartbeat reports) into
// MAIL02's store. MAIL01's quota check at RCPT asks MAIL02 (XQUOTA) too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { fastCredentials } from '../support/passwords.ts';
import { Directory } from '../../src/directory/directory.ts';
import { databaseFolder } from '../../src/store/open.ts';
import { ENGINES } from '../engines.ts';
import { freePortOffset, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { setupTwoServers } from '../support/two-servers.ts';

const PASSWORD = 'Two-Servers-2026';
const dataA = tempDataDir('mailroom-lmtp-a-');
const dataB = tempDataDir('mailroom-lmtp-b-');
let directory: { url?: string; cleanup: () => Promise<void> } | undefined;
let dir: Directory;
let serverA: RunningServer | undefined;
let serverB: RunningServer | undefined;
let offsetA: number;
let offsetB: number;

before(async () => {
  const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
  directory = pg;
  dir = await Directory.openWith(pg.db);
  await setupTwoServers(dir);
  for (const server of ['MAIL01', 'MAIL02']) await dir.setServiceStartupType(server, 'web', 'Disabled');
  for (const [name, port] of [['Default Frontend MAIL01', 25], ['Client Frontend MAIL01', 587], ['Client Frontend Secure MAIL01', 465]] as const) {
    await dir.updateReceiveConnector(name, { Bindings: [`127.0.0.1:${port}`] });
  }
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: await fastCredentials(PASSWORD) });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', database: 'Mailbox Database MAIL02', credentials: await fastCredentials(PASSWORD) });

  offsetB = await freePortOffset();
  const base = { MAILROOM_DIRECTORY: pg.url! };
  serverB = await startMailroom(['start', '--role', 'backend', '--server', 'MAIL02'], { ...base, MAILROOM_DATA: dataB.path, MAILROOM_PORT_OFFSET: String(offsetB) });
  do offsetA = await freePortOffset(); while (offsetA === offsetB);
  serverA = await startMailroom(['start', '--server', 'MAIL01'], { ...base, MAILROOM_DATA: dataA.path, MAILROOM_PORT_OFFSET: String(offsetA) });
});

after(async () => {
  await serverA?.stop();
  await serverB?.stop();
  await dir?.close();
  await directory?.cleanup();
  dataA.cleanup();
  dataB.cleanup();
});

function submit(raw: Buffer) {
  return nodemailer.createTransport({
    host: '127.0.0.1', port: 587 + offsetA, secure: false, requireTLS: true, auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  }).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
}

test('MAIL02 runs the delivery port on 2525 + its offset; MAIL01 delivers a submission for bob there, into MAIL02\'s store', async () => {
  assert.match(serverB!.output(), new RegExp(`smtp-backend \\[::\\]:${2525 + offsetB}, 0\\.0\\.0\\.0:${2525 + offsetB}`));
  assert.doesNotMatch(serverB!.output(), /smtp started/, 'a back end runs no SMTP front end');
  const raw = Buffer.from('From: Alice Wong <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: Across servers\r\nMessage-ID: <lmtp-e2e-1@contoso.com>\r\n\r\nThis went over 2525.\r\n.\r\n..\r\n');
  const info = await submit(raw);
  assert.match(info.response, /^250 2\.6\.0 <lmtp-e2e-1@contoso\.com> /);
  await serverB!.waitFor(/smtp-backend: message delivered/);
  assert.match(serverB!.output(), /"peer":"MAIL01"/, 'MAIL02 knew the client as MAIL01 by its certificate');

  // Read MAIL02's store from its own data folder; MAIL01's has no copy of that database.
  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = dataB.path;
  const databases = new MailboxDatabases(dir, 'MAIL02');
  try {
    const bob = await dir.requireMailbox('bob');
    const store = await databases.storeFor(bob);
    const inbox = (await store.folders(bob.id)).find((f) => f.role === 'inbox')!;
    const messages = await store.messages(inbox.id);
    assert.equal(messages.length, 1);
    const stored = await store.readBlob(messages[0]!.blobId);
    assert.deepEqual(stored.subarray(stored.length - raw.length), raw);
    assert.match(stored.toString(), /^Return-Path: <alice@contoso\.com>\r\nReceived: from .* by 127\.0\.0\.2 /s);
  } finally {
    await databases.closeAll();
    process.env.MAILROOM_DATA = dataA.path;
    assert.equal(existsSync(databaseFolder('Mailbox Database MAIL02')), false);
    process.env.MAILROOM_DATA = previous;
  }
});

test('a full mailbox on MAIL02 is refused at RCPT on MAIL01 (452 4.2.2), from the usage MAIL02 reports', async () => {
  await dir.updateMailbox('bob', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendReceiveQuota: 100 } });
  await assert.rejects(submit(Buffer.from('From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: No room\r\n\r\nHello.\r\n')), (err: Error & { response?: string }) => {
    assert.match(err.response ?? err.message, /452 4\.2\.2 /);
    return true;
  });
});
