// Get-MailboxFolderStatistics, Set-/Get-MailboxRegionalConfiguration and Set-OwaVirtualDirectory
// from the command line while a server runs, checked with what real clients see: imapflow's
// LIST, STATUS and FETCH, and a meeting request submitted with nodemailer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { freePortOffset, mailroom, mailroomOk, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const data = tempDataDir();
const PASSWORD = 'Folders-Pass-2026';
let offset = 0;
let env: Record<string, string>;
let server: RunningServer;

const admin = (...args: string[]) => mailroomOk(args, env);
const json = (...args: string[]) => JSON.parse(admin(...args, '--json').stdout);

function imap(user: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: `${user}@contoso.com`, pass: PASSWORD }, logger: false,
  });
}

const message = (subject: string, body = 'Hello there.\r\n') => Buffer.from(`From: chris@contoso.com\r\nTo: chris@contoso.com\r\nSubject: ${subject}\r\n\r\n${body}`);

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris'], ['王小明', 'xiaoming']], password: PASSWORD });
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  data.cleanup();
});

test('Get-MailboxFolderStatistics counts what IMAP clients put in each folder', async () => {
  const client = imap('chris');
  await client.connect();
  await client.mailboxCreate('Projects');
  await client.mailboxCreate('Projects/2026');
  const dates = ['2026-01-05T09:00:00Z', '2025-06-30T12:00:00Z', '2026-11-20T18:30:00Z'];
  for (const [i, date] of dates.entries()) await client.append('INBOX', message(`inbox ${i}`, 'x'.repeat(100 * (i + 1)) + '\r\n'), [], new Date(date));
  await client.append('Projects', message('plan'), ['\\Seen'], new Date('2026-02-01T00:00:00Z'));
  await client.append('Projects/2026', message('budget'), [], new Date('2026-03-01T00:00:00Z'));
  await client.append('Projects/2026', message('review'), [], new Date('2026-04-01T00:00:00Z'));
  // What the client sees: message counts and RFC822.SIZE per folder.
  const seen = new Map<string, { messages: number; bytes: number }>();
  for (const path of ['INBOX', 'Projects', 'Projects/2026']) {
    const lock = await client.getMailboxLock(path);
    let bytes = 0;
    let messages = 0;
    for await (const m of client.fetch('1:*', { size: true })) {
      bytes += m.size!;
      messages++;
    }
    lock.release();
    seen.set(path, { messages, bytes });
  }
  await client.logout();

  const all = json('Get-MailboxFolderStatistics', 'chris');
  const byPath = new Map(all.map((f: { FolderPath: string }) => [f.FolderPath, f]));
  const bytesOf = (size: string) => Number(/\(([\d,]+) bytes\)/.exec(size)![1]!.replaceAll(',', ''));
  const inbox = byPath.get('/Inbox') as Record<string, unknown>;
  assert.equal(inbox.Name, 'Inbox');
  assert.equal(inbox.FolderType, 'Inbox');
  assert.equal(inbox.ItemsInFolder, seen.get('INBOX')!.messages);
  assert.equal(bytesOf(inbox.FolderSize as string), seen.get('INBOX')!.bytes);
  const projects = byPath.get('/Projects') as Record<string, unknown>;
  assert.equal(projects.FolderType, 'User Created');
  assert.equal(projects.ItemsInFolder, 1);
  assert.equal(projects.ItemsInFolderAndSubfolders, 3);
  assert.equal(bytesOf(projects.FolderAndSubfolderSize as string), seen.get('Projects')!.bytes + seen.get('Projects/2026')!.bytes);
  assert.equal((byPath.get('/Projects/2026') as Record<string, unknown>).Name, '2026');
  assert.equal((byPath.get('/Sent Items') as Record<string, unknown>).FolderType, 'SentItems');
  const root = byPath.get('/') as Record<string, unknown>;
  assert.equal(root.ItemsInFolderAndSubfolders, 6);
  assert.ok(byPath.has('/Recoverable Items'));
  assert.ok(!('OldestItemReceivedDate' in inbox), 'dates only when asked for');

  const scoped = json('Get-MailboxFolderStatistics', 'chris', '-FolderScope', 'Inbox', '-IncludeOldestAndNewestItems');
  assert.deepEqual(scoped.map((f: { FolderPath: string }) => f.FolderPath), ['/Inbox']);
  assert.equal(scoped[0].OldestItemReceivedDate, '2025-06-30T12:00:00.000Z');
  assert.equal(scoped[0].NewestItemReceivedDate, '2026-11-20T18:30:00.000Z');
  const personal = json('Get-MailboxFolderStatistics', 'chris', '-FolderScope', 'Personal');
  assert.deepEqual(personal.map((f: { FolderPath: string }) => f.FolderPath), ['/Projects', '/Projects/2026']);

  const refused = mailroom(['Get-MailboxFolderStatistics', 'chris', '-FolderScope', 'Calendar'], env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /FolderScope/);
});

test('-LocalizeDefaultFolderName renames the default folders; IMAP clients see the new names with their roles, UIDs unchanged', async () => {
  const client = imap('xiaoming');
  await client.connect();
  await client.append('Sent Items', message('sent before'), ['\\Seen']);
  await client.mailboxCreate('草稿'); // a folder of the user's that holds the zh-TW name of Drafts
  const original = await client.status('Sent Items', { uidValidity: true, messages: true, uidNext: true });
  assert.ok(original);
  assert.equal(json('Get-MailboxRegionalConfiguration', 'xiaoming')[0].DefaultFolderNameMatchingUserLanguage, true);

  const r = admin('Set-MailboxRegionalConfiguration', 'xiaoming', '-Language', 'zh-TW', '-LocalizeDefaultFolderName');
  assert.match(r.stderr, /'Drafts' keeps its name: the mailbox already has a folder '草稿'/);

  const folders = await client.list();
  const byUse = new Map(folders.filter((f) => f.specialUse).map((f) => [f.specialUse, f.path]));
  assert.equal(byUse.get('\\Sent'), '寄件備份');
  assert.equal(byUse.get('\\Trash'), '刪除的郵件');
  assert.equal(byUse.get('\\Junk'), '垃圾郵件');
  assert.equal(byUse.get('\\Archive'), '封存');
  assert.equal(byUse.get('\\Drafts'), 'Drafts', 'the clash leaves Drafts as it was');
  assert.ok(!folders.some((f) => f.path === 'Sent Items'));
  const renamed = await client.status('寄件備份', { uidValidity: true, messages: true, uidNext: true });
  assert.ok(renamed);
  assert.equal(renamed.uidValidity, original.uidValidity, 'UIDVALIDITY kept, so clients keep their caches');
  assert.equal(renamed.uidNext, original.uidNext);
  assert.equal(renamed.messages, 1);
  const lock = await client.getMailboxLock('寄件備份');
  const fetched = [];
  for await (const m of client.fetch('1:*', { uid: true, envelope: true })) fetched.push(m);
  lock.release();
  assert.equal(fetched[0]!.envelope!.subject, 'sent before');
  const subscribed = await client.list({ statusQuery: { messages: true } });
  assert.ok(subscribed.find((f) => f.path === '寄件備份')?.subscribed, 'the subscription follows the rename');
  await client.logout();

  const config = json('Get-MailboxRegionalConfiguration', 'xiaoming')[0];
  assert.equal(config.Language, 'zh-TW');
  assert.equal(config.DefaultFolderNameMatchingUserLanguage, false, 'Drafts still has its English name');
  assert.equal(json('Get-Mailbox', 'xiaoming')[0].Languages[0], 'zh-TW');
  const stats = json('Get-MailboxFolderStatistics', 'xiaoming', '-FolderScope', 'SentItems');
  assert.equal(stats[0].FolderPath, '/寄件備份');
  assert.equal(json('Get-MailboxFolderStatistics', 'xiaoming', '-FolderScope', 'Inbox')[0].Name, '收件匣');

  const tz = mailroom(['Set-MailboxRegionalConfiguration', 'xiaoming', '-TimeZone', 'Taipei Standard Time'], env);
  assert.equal(tz.status, 1);
  assert.match(tz.stderr, /-TimeZone: Mailroom does not support it/);
});

test('meeting links of CalendarItemRetrievalOption IntranetUrl lead to the OWA virtual directory\'s InternalUrl', async () => {
  admin('Set-OwaVirtualDirectory', 'MAIL01\\owa (Default Web Site)', '-InternalUrl', 'https://mail01.corp.contoso.com/owa');
  admin('Set-ImapSettings', '-CalendarItemRetrievalOption', 'IntranetUrl');
  admin('Set-PopSettings', '-CalendarItemRetrievalOption', 'IntranetUrl');
  const owa = json('Get-OwaVirtualDirectory');
  assert.equal(owa[0].Identity, 'MAIL01\\owa (Default Web Site)');
  assert.equal(owa[0].InternalUrl, 'https://mail01.corp.contoso.com/owa');
  assert.equal(owa[0].ExternalUrl, null);
  const bad = mailroom(['Set-OwaVirtualDirectory', 'MAIL01', '-ExternalUrl', 'https://mail.contoso.com/mail'], env);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /must end in \/owa/);

  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'UID:review-7@contoso.com', 'SUMMARY:Design review',
    'DTSTART:20261210T020000Z', 'DTEND:20261210T030000Z', 'ORGANIZER:mailto:chris@contoso.com', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: 465 + offset, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'chris@contoso.com', pass: PASSWORD },
  });
  const client = imap('chris');
  await client.connect();
  let body = '';
  // The settings reach the running SMTP service at its next poll; send until a link arrives.
  for (let attempt = 0; attempt < 20 && !body.includes('/calendar/meeting'); attempt++) {
    await transport.sendMail({ from: 'chris@contoso.com', to: 'chris@contoso.com', subject: `Design review ${attempt}`, text: 'Join us.', icalEvent: { method: 'REQUEST', content: ics } });
    await new Promise((r) => setTimeout(r, 500));
    const lock = await client.getMailboxLock('INBOX');
    const last = await client.fetchOne('*', { source: true });
    lock.release();
    body = last ? last.source!.toString() : '';
  }
  await client.logout();
  transport.close();
  assert.match(body, /https:\/\/mail01\.corp\.contoso\.com\/owa\/calendar\/meeting\?uid=review-7%40contoso\.com/);
});
