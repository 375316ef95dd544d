// The IMAP pull source against a real Dovecot: every folder with its levels (Dovecot's '.'
// delimiter), special use, UIDVALIDITY and UIDs; every message's flags, keywords, INTERNALDATE
// and exact bytes, the way Dovecot itself answers them. Logons as the user over STARTTLS with a
// pinned certificate, and as a master user (SASL PLAIN authzid over IMAPS with a CA file, and
// Dovecot's user*master). Certificates that are not trusted are refused before any password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapSource, ImapSourceError, type ImapSourceOptions } from '../../src/migration/imap-source.ts';
import type { SourceMessage } from '../../src/migration/source.ts';
import { dovecotAvailable, startDovecot, type DovecotServer } from '../support/dovecot-server.ts';
import { tempDataDir } from '../helpers.ts';
import { migrationCorpus } from './corpus.ts';
import { fillAccount, readAccount, type ServerFolder } from './dovecot-corpus.ts';

const skip = dovecotAvailable() ? false : 'dovecot is not installed';
let dovecot: DovecotServer;
let expected: ServerFolder[];
const temp = tempDataDir('mailroom-imap-source-');

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({
    users: [{ name: 'alice', password: 'alice-pass-2026' }],
    masters: [{ name: 'migrator', password: 'master-pass-2026' }],
  });
  await fillAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' }, migrationCorpus({ bigMegabytes: 3 }));
  expected = await readAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' });
});

after(async () => {
  await dovecot?.stop();
  temp.cleanup();
});

/** Everything the source yields, read the way the importer reads it. */
async function pull(options: ImapSourceOptions): Promise<ServerFolder[]> {
  const source = new ImapSource(options);
  try {
    const out: ServerFolder[] = [];
    for (const folder of await source.folders()) {
      const messages = [];
      for (const entry of await source.entries(folder)) {
        assert.equal(entry.kind, 'message');
        const m = entry as SourceMessage;
        messages.push({ uid: m.uid!, flags: [...m.flags].sort(), internalDate: m.internalDate!.getTime(), raw: await m.read() });
      }
      out.push({ path: folder.path, specialUse: folder.specialUse, uidValidity: folder.uidValidity!, uidNext: folder.uidNext!, messages });
    }
    return out.sort((a, b) => a.path.join('/').localeCompare(b.path.join('/')));
  } finally {
    await source.close();
  }
}

function assertSame(actual: ServerFolder[], wanted: ServerFolder[]): void {
  const roles: Record<string, string> = { '\\Sent': 'sent', '\\Drafts': 'drafts', '\\Trash': 'trash', '\\Archive': 'archive', '\\Junk': 'junk' };
  assert.deepEqual(actual.map((f) => f.path), wanted.map((f) => f.path));
  for (const [i, w] of wanted.entries()) {
    const a = actual[i]!;
    const where = w.path.join('/');
    assert.equal(a.specialUse, w.specialUse ? roles[w.specialUse] : undefined, where);
    assert.equal(a.uidValidity, w.uidValidity, where);
    assert.equal(a.uidNext, w.uidNext, where);
    assert.deepEqual(a.messages.map((m) => m.uid), w.messages.map((m) => m.uid), where);
    for (const [j, m] of w.messages.entries()) {
      assert.deepEqual(a.messages[j]!.flags, m.flags, `${where} UID ${m.uid}`);
      assert.equal(a.messages[j]!.internalDate, m.internalDate, `${where} UID ${m.uid}`);
      assert.ok(a.messages[j]!.raw.equals(m.raw), `${where} UID ${m.uid}: bytes differ (${a.messages[j]!.raw.length} vs ${m.raw.length})`);
    }
  }
}

test('the corpus is what the tests expect at the source', { skip }, () => {
  const names = expected.map((f) => f.path.join('/'));
  assert.ok(names.includes('工作/報告') && names.includes('INBOX/Receipts') && names.includes('寄件備份'), names.join(', '));
  const inbox = expected.find((f) => f.path[0] === 'INBOX' && f.path.length === 1)!;
  assert.ok(inbox.messages.some((m) => m.raw.length > 3 * 1024 * 1024), 'a multi-megabyte message');
  assert.ok(inbox.messages.some((m) => m.flags.includes('Work')), 'keywords');
});

test('as the user over STARTTLS, trusting the pinned certificate: every folder and message as Dovecot has it', { skip }, async () => {
  const got = await pull({
    host: '127.0.0.1', port: dovecot.plainPort, security: 'Tls', userName: 'alice', password: 'alice-pass-2026',
    certificateFingerprint: dovecot.fingerprint,
  });
  assertSame(got, expected);
});

test('as a master user: SASL PLAIN with authzid over IMAPS trusting a CA file, and Dovecot\'s user*master', { skip }, async () => {
  const ca = join(temp.path, 'dovecot-ca.pem');
  writeFileSync(ca, dovecot.certPem);
  const viaAuthzid = await pull({
    host: 'localhost', port: dovecot.tlsPort, security: 'Ssl', userName: 'alice', masterUserName: 'migrator', password: 'master-pass-2026',
    masterLogon: 'authzid', caFile: ca,
  });
  assertSame(viaAuthzid, expected);
  const viaSeparator = await pull({
    host: '127.0.0.1', port: dovecot.plainPort, security: 'None', userName: 'alice', masterUserName: 'migrator', password: 'master-pass-2026',
    masterLogon: { separator: '*' },
  });
  assertSame(viaSeparator, expected);
});

test('untrusted certificates, a wrong fingerprint and a wrong password are refused with clear errors', { skip }, async () => {
  const base = { host: '127.0.0.1', userName: 'alice', password: 'alice-pass-2026' } as const;
  await assert.rejects(new ImapSource({ ...base, port: dovecot.tlsPort, security: 'Ssl' }).folders(), (err: Error) => {
    assert.ok(err instanceof ImapSourceError, String(err));
    assert.match(err.message, /certificate/i);
    return true;
  });
  await assert.rejects(new ImapSource({ ...base, port: dovecot.plainPort, security: 'Tls', certificateFingerprint: '00'.repeat(32) }).folders(), /presented no certificate with SHA-256 fingerprint/);
  await assert.rejects(new ImapSource({ ...base, password: 'wrong', port: dovecot.plainPort, security: 'None' }).folders(), /logon was refused/);
  // -AcceptUntrustedCertificates takes the self-signed certificate as it is.
  const accepted = new ImapSource({ ...base, port: dovecot.tlsPort, security: 'Ssl', acceptUntrustedCertificates: true });
  assert.ok((await accepted.folders()).length > 0);
  await accepted.close();
});
