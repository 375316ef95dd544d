// MessageRetrievalMimeFormat with real clients against a real `mailroom start`: Python's poplib
// receiving text-only bodies (Set-PopSettings -MessageRetrievalMimeFormat TextOnly), imapflow
// receiving HTML only for one user (Set-CASMailbox -ImapUseProtocolDefaults $false
// -ImapMessagesRetrievalMimeFormat HtmlOnly) while another still gets the stored bytes. Sizes
// (LIST, STAT, RFC822.SIZE) must be those of what is sent; attachments arrive intact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { ImapFlow } from 'imapflow';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const PASSWORD = 'Format-Pass-2026';
const data = tempDataDir('mailroom-formats-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer;

const ATTACHMENT = Buffer.from('%PDF-1.4 \x00\x01\x02\xfe\xff binary attachment', 'latin1');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** HTML with a Big5 plain alternative and a PDF attachment, as Outlook would send it. */
const ALTERNATIVE = Buffer.concat([
  Buffer.from([
    'From: Xiaoming <xiaoming@fabrikam.com>', 'To: chris@contoso.com', 'Subject: Minutes', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mix"', '', '--mix', 'Content-Type: multipart/alternative; boundary="alt"', '',
    '--alt', 'Content-Type: text/plain; charset=big5', 'Content-Transfer-Encoding: 8bit', '', '',
  ].join('\r\n')),
  iconv.encode('會議記錄在附件裡。', 'big5'),
  Buffer.from([
    '', '--alt', 'Content-Type: text/html; charset=utf-8', '', '<html><body><p>Minutes are <b>attached</b>.</p></body></html>', '--alt--',
    '--mix', 'Content-Type: application/pdf; name="minutes.pdf"', 'Content-Disposition: attachment; filename="minutes.pdf"',
    'Content-Transfer-Encoding: base64', '', ATTACHMENT.toString('base64'), '--mix--', '',
  ].join('\r\n')),
]);

/** Plain text only, with a dot line that POP3 must stuff. */
const PLAIN = Buffer.from('From: a@fabrikam.com\r\nTo: chris@contoso.com\r\nSubject: Plain\r\n\r\nFirst line & <more>\r\n.\r\nlast\r\n');

/** HTML only, in quoted-printable. */
const HTML = Buffer.from('From: a@fabrikam.com\r\nSubject: Html\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Caf=C3=A9 <i>menu</i></p><p>.dot</p>\r\n');

const STORED = [ALTERNATIVE, PLAIN, HTML];

function python(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, ...args], { timeout: 60_000, maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Chris', 'chris'], ['Mei', 'mei'], ['Pat', 'pat']], password: PASSWORD });
  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  const databases = new MailboxDatabases(dir);
  try {
    await dir.setServiceStartupType('MAIL01', 'smtp', 'Disabled');
    for (const alias of ['chris', 'mei', 'pat']) {
      const mailbox = await dir.requireMailbox(alias);
      const store = await databases.storeFor(mailbox);
      const inbox = await store.folder(mailbox.id, 'INBOX');
      for (const [i, raw] of STORED.entries()) await store.append(inbox!.id, { raw, internalDate: new Date(Date.UTC(2026, 10, 1, 8, i)) });
    }
  } finally {
    await databases.closeAll();
    await dir.close();
    if (previous === undefined) delete process.env.MAILROOM_DATA;
    else process.env.MAILROOM_DATA = previous;
  }
  // As an admin does it: the server setting for POP3, a per-user one for IMAP4.
  for (const args of [
    ['Set-PopSettings', '-MessageRetrievalMimeFormat', 'TextOnly'],
    ['Set-CASMailbox', 'mei', '-ImapUseProtocolDefaults', '$false', '-ImapMessagesRetrievalMimeFormat', 'HtmlOnly'],
    ['Set-CASMailbox', 'pat', '-PopUseProtocolDefaults', '$false', '-PopMessagesRetrievalMimeFormat', 'BestBodyFormat'],
  ]) {
    const r = mailroom(args, env);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

const POPLIB = `
import email, email.policy, hashlib, json, poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
out = {'stat': list(p.stat()), 'list': [l.decode() for l in p.list()[1]], 'messages': []}
for n in range(1, out['stat'][0] + 1):
    resp, lines, octets = p.retr(n)
    raw = b'\\r\\n'.join(lines) + b'\\r\\n'
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in msg.walk():
        if part.is_multipart(): continue
        payload = part.get_payload(decode=True)
        entry = {'type': part.get_content_type(), 'sha': hashlib.sha256(payload).hexdigest()}
        if part.get_content_maintype() == 'text': entry['text'] = part.get_content()
        parts.append(entry)
    top = b'\\r\\n'.join(p.top(n, 0)[1]).decode('utf-8', 'replace')
    out['messages'].append({'resp': resp.decode(), 'octets': len(raw), 'subject': msg['subject'], 'parts': parts, 'top': top})
p.quit()
print(json.dumps(out))
`;

interface PopResult {
  stat: [number, number];
  list: string[];
  messages: { resp: string; octets: number; subject: string; parts: { type: string; sha: string; text?: string }[]; top: string }[];
}

test("Python's poplib gets text-only bodies (PopSettings TextOnly): sizes match, attachments intact", async () => {
  const got = JSON.parse(await python(POPLIB, [String(995 + offset), 'chris@contoso.com', PASSWORD])) as PopResult;
  const [alt, plain, html] = got.messages;
  assert.deepEqual(alt!.parts.map((p) => p.type), ['text/plain', 'application/pdf']);
  assert.equal(alt!.parts[0]!.text!.trim(), '會議記錄在附件裡。', 'the stored (Big5) plain alternative, decoded by the client');
  assert.equal(alt!.parts[1]!.sha, sha(ATTACHMENT));
  assert.deepEqual(plain!.parts.map((p) => p.type), ['text/plain']);
  assert.equal(plain!.parts[0]!.text, 'First line & <more>\r\n.\r\nlast\r\n', 'a plain message is sent as stored');
  assert.deepEqual(html!.parts.map((p) => p.type), ['text/plain']);
  assert.equal(html!.parts[0]!.text!.trim(), 'Café menu\r\n\r\n.dot');
  assert.equal(html!.subject, 'Html');
  assert.match(html!.top, /^From: a@fabrikam.com\r\nSubject: Html\r\nMIME-Version: 1.0\r\nContent-Type: text\/plain; charset=utf-8/);
  // What RETR announced, LIST and STAT said, and what arrived are the same numbers.
  let total = 0;
  for (const [i, m] of got.messages.entries()) {
    assert.equal(m.resp, `+OK ${m.octets} octets`);
    assert.equal(got.list[i], `${i + 1} ${m.octets}`);
    total += m.octets;
  }
  assert.deepEqual(got.stat, [3, total]);
  assert.equal(got.messages[1]!.octets, PLAIN.length);
  assert.notEqual(got.messages[2]!.octets, HTML.length);
});

test('a user with PopUseProtocolDefaults $false and BestBodyFormat gets the stored bytes over POP3', async () => {
  const got = JSON.parse(await python(POPLIB, [String(995 + offset), 'pat@contoso.com', PASSWORD])) as PopResult;
  assert.deepEqual(got.list, STORED.map((raw, i) => `${i + 1} ${raw.length}`));
  assert.deepEqual(got.messages[0]!.parts.map((p) => p.type), ['text/plain', 'text/html', 'application/pdf']);
});

function imap(user: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false },
    logger: false, connectionTimeout: 5000, greetingTimeout: 5000,
  });
}

interface Structure { type: string; part?: string; childNodes?: Structure[] }
const leafTypes = (s: Structure): string[] => (s.childNodes ? s.childNodes.flatMap(leafTypes) : [s.type]);

test('imapflow gets HTML only for a user with ImapMessagesRetrievalMimeFormat HtmlOnly; BODYSTRUCTURE, RFC822.SIZE and BODY[] agree', async () => {
  const client = imap('mei@contoso.com');
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const messages = [];
    for await (const m of client.fetch('1:*', { uid: true, size: true, bodyStructure: true, source: true })) messages.push(m);
    assert.equal(messages.length, 3);
    for (const m of messages) {
      assert.equal(m.size, m.source!.length, 'RFC822.SIZE is the size of what BODY[] returns');
      assert.ok(!leafTypes(m.bodyStructure as Structure).includes('text/plain'), JSON.stringify(m.bodyStructure));
    }
    assert.deepEqual(leafTypes(messages[0]!.bodyStructure as Structure), ['text/html', 'application/pdf']);
    assert.deepEqual(leafTypes(messages[1]!.bodyStructure as Structure), ['text/html']);
    // The plain message became HTML: escaped, its lines kept.
    const { content } = await client.download(String(messages[1]!.uid), '1', { uid: true });
    const chunks: Buffer[] = [];
    for await (const c of content!) chunks.push(c as Buffer);
    const html = Buffer.concat(chunks).toString('utf8');
    assert.match(html, /First line &amp; &lt;more&gt;<br>\r\n\.<br>\r\nlast<br>/);
    // The attachment part, fetched by number from the structure imapflow saw.
    const pdf = await client.download(String(messages[0]!.uid), '2', { uid: true });
    const pdfChunks: Buffer[] = [];
    for await (const c of pdf.content!) pdfChunks.push(c as Buffer);
    assert.equal(sha(Buffer.concat(pdfChunks)), sha(ATTACHMENT));
  } finally {
    await client.logout();
  }
});

test('another IMAP4 user (server default BestBodyFormat) gets the stored bytes', async () => {
  const client = imap('chris@contoso.com');
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const got = [];
    for await (const m of client.fetch('1:*', { size: true, source: true })) got.push(m);
    assert.deepEqual(got.map((m) => sha(m.source!)), STORED.map(sha));
    assert.deepEqual(got.map((m) => m.size), STORED.map((s) => s.length));
  } finally {
    await client.logout();
  }
});
