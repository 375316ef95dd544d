// Python's imaplib, a stock client with no knowledge of Mailroom, over implicit TLS and over
// STARTTLS: the everyday command set, APPEND with a literal, LIST and XLIST on a mailbox with
// Chinese folder names, and UID SEARCH CHARSET BIG5 with Big5-encoded criteria.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { message, PASSWORD, python, startServer, type TestServer } from './harness.ts';

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.addUser('py', { language: 'zh-TW' });
  await server.addUser('py2');
});

after(async () => {
  await server?.stop();
});

// Every response as [type, data] with bytes as latin1 text, so the test sees the wire form.
const SCRIPT = String.raw`
import imaplib, json, ssl, sys
mode, port, user, password, big5_hex, raw_hex = sys.argv[1:7]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if mode == 'tls':
    m = imaplib.IMAP4_SSL('127.0.0.1', int(port), ssl_context=ctx)
else:
    m = imaplib.IMAP4('127.0.0.1', int(port))
    m.starttls(ssl_context=ctx)
out = {}
def show(v):
    if isinstance(v, bytes): return v.decode('latin1')
    if isinstance(v, (list, tuple)): return [show(x) for x in v]
    return v
def run(name, fn, *args):
    try:
        typ, data = fn(*args)
        out[name] = [typ, show(data)]
    except Exception as e:
        out[name] = ['EXC', str(e)]
run('login', m.login, user, password)
run('capability', m.capability)
run('list', m.list, '""', '*')
run('xlist', m.xatom, 'XLIST', '""', '*')
out['xlist_untagged'] = show(m.untagged_responses.pop('XLIST', []))
run('lsub', m.lsub, '""', '*')
raw = bytes.fromhex(raw_hex)
run('append', m.append, 'INBOX', r'(\Flagged)', imaplib.Time2Internaldate(1793520000), raw)
run('select', m.select, 'INBOX')
run('search', m.uid, 'SEARCH', None, 'ALL')
m.literal = bytes.fromhex(big5_hex)
run('search_big5', m.uid, 'SEARCH', 'CHARSET', 'BIG5', 'SUBJECT')
run('search_utf8_missing', m.uid, 'SEARCH', 'SUBJECT', '"no such thing"')
run('fetch', m.uid, 'FETCH', '1:*', '(UID FLAGS RFC822.SIZE BODY.PEEK[])')
run('store', m.uid, 'STORE', '1', '+FLAGS', r'(\Seen)')
run('copy', m.uid, 'COPY', '1', 'Drafts' if mode == 'starttls' else '&g0l6Pw-')
run('status', m.status, 'INBOX', '(MESSAGES UNSEEN UIDNEXT)')
run('create', m.create, '"&W8RO9lCZTv0-/2026"')
run('list_after', m.list, '""', '"&W8RO9lCZTv0-*"')
run('delete', m.delete, '"&W8RO9lCZTv0-/2026"')
run('store_deleted', m.uid, 'STORE', '1', '+FLAGS.SILENT', r'(\Deleted)')
run('expunge', m.expunge)
run('close', m.close)
run('logout', m.logout)
print(json.dumps(out))
`;

interface Result {
  [name: string]: [string, unknown] | string[] | unknown;
}

describe('python3 imaplib', () => {
  const subject = '季度會議';
  const raw = Buffer.from(message(`=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`, '正文'));
  const big5 = iconv.encode('會議', 'big5');

  for (const mode of ['tls', 'starttls'] as const) {
    test(`${mode === 'tls' ? 'IMAP4_SSL' : 'STARTTLS'}: a session of everyday commands`, async () => {
      // One mailbox per mode, so the two runs cannot see each other's messages.
      const user = mode === 'tls' ? 'py@contoso.com' : 'py2@contoso.com';
      const port = mode === 'tls' ? server.tlsPort : server.plainPort;
      const out = JSON.parse(await python(SCRIPT, [mode, String(port), user, PASSWORD, big5.toString('hex'), raw.toString('hex')])) as Result;
      const ok = (name: string) => {
        const r = out[name] as [string, unknown];
        assert.equal(r[0], 'OK', `${name}: ${JSON.stringify(r)}`);
        return r[1] as string[];
      };
      ok('login');
      // After logon the back end's list, with what the front end did not offer.
      assert.match(ok('capability')[0]!, /^IMAP4rev1 .*\bIDLE\b.*\bXLIST\b/);
      const list = ok('list');
      if (mode === 'tls') {
        // zh-TW default folders in modified UTF-7, with their special use.
        assert.ok(list.includes('(\\HasNoChildren \\Sent) "/" &W8RO9lCZTv0-'), list.join('\n'));
        assert.ok(list.includes('(\\HasNoChildren \\Drafts) "/" &g0l6Pw-'), list.join('\n'));
        assert.ok(list.includes('(\\HasNoChildren) "/" INBOX'));
        assert.ok((out.xlist_untagged as string[]).includes('(\\HasNoChildren \\Sent) "/" &W8RO9lCZTv0-'), JSON.stringify(out.xlist_untagged));
      } else {
        assert.ok(list.includes('(\\HasNoChildren \\Sent) "/" "Sent Items"'), list.join('\n'));
        assert.ok((out.xlist_untagged as string[]).includes('(\\HasNoChildren \\Inbox) "/" INBOX'), JSON.stringify(out.xlist_untagged));
      }
      ok('xlist');
      assert.equal(ok('lsub').length, list.length, 'every default folder is subscribed');
      assert.match(ok('append')[0]!, /^\[APPENDUID \d+ 1\] APPEND completed\.$/);
      assert.deepEqual(ok('select'), ['1']);
      assert.deepEqual(ok('search'), ['1']);
      assert.deepEqual(ok('search_big5'), ['1'], 'a Big5 criterion matches the UTF-8 encoded-word subject');
      assert.deepEqual(ok('search_utf8_missing'), ['']);
      const fetch = ok('fetch') as unknown as [string, string][];
      assert.match(fetch[0]![0], /^1 \(UID 1 FLAGS \(\\Flagged \\Recent\) RFC822\.SIZE \d+ BODY\[\] \{\d+\}$/);
      assert.equal(Buffer.from(fetch[0]![1], 'latin1').toString('hex'), raw.toString('hex'), 'BODY[] is byte-exact');
      ok('store');
      ok('copy');
      assert.deepEqual(ok('status'), ['INBOX (MESSAGES 1 UNSEEN 0 UIDNEXT 2)']);
      ok('create');
      // In the en mailbox 寄件備份 is created as the parent, an ordinary folder.
      const parent = mode === 'tls' ? '(\\HasChildren \\Sent) "/" &W8RO9lCZTv0-' : '(\\HasChildren) "/" &W8RO9lCZTv0-';
      assert.deepEqual(ok('list_after'), [parent, '(\\HasNoChildren) "/" &W8RO9lCZTv0-/2026']);
      ok('delete');
      ok('store_deleted');
      assert.deepEqual(ok('expunge'), ['1']);
      ok('close');
      assert.equal((out.logout as [string])[0], 'BYE');
    });
  }
});
