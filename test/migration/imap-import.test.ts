// IMAP pull into Mailroom, end to end: a Dovecot account holding the migration corpus is read
// by the IMAP source (as a master user) and written by the import engine into a new Mailroom
// mailbox, which then holds, folder by folder, the same UIDVALIDITY, UIDs, flags, keywords,
// INTERNALDATE and bytes as Dovecot serves. An import stopped half-way goes on where it stopped
// when run again, and a run after that imports nothing. Then the mailbox is exported as
// Maildir++ and imported into a second fresh mailbox, which ends up the same again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { exportMailbox } from '../../src/migration/exporter.ts';
import { ImapSource } from '../../src/migration/imap-source.ts';
import { importMailbox } from '../../src/migration/importer.ts';
import { MaildirSource } from '../../src/migration/maildir-source.ts';
import { MboxSource } from '../../src/migration/mbox-source.ts';
import type { MigrationSource } from '../../src/migration/source.ts';
import type { MailStore } from '../../src/store/types.ts';
import { createTestOrganization } from '../support/organization.ts';
import { dovecotAvailable, startDovecot, type DovecotServer } from '../support/dovecot-server.ts';
import { tempDataDir } from '../helpers.ts';
import { migrationCorpus } from './corpus.ts';
import { assertSameFolders, fillAccount, mailboxContents, readAccount, type ServerFolder } from './dovecot-corpus.ts';

const skip = dovecotAvailable() ? false : 'dovecot is not installed';
const data = tempDataDir('mailroom-imap-import-');
let dovecot: DovecotServer;
let atSource: ServerFolder[];
let directory: Directory;
let databases: MailboxDatabases;

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({
    users: [{ name: 'alice', password: 'alice-pass-2026' }],
    masters: [{ name: 'migrator', password: 'master-pass-2026' }],
  });
  await fillAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' }, migrationCorpus({ bigMegabytes: 4 }));
  atSource = await readAccount({ port: dovecot.plainPort, user: 'alice', password: 'alice-pass-2026' });
  await createTestOrganization(data.path, { mailboxes: [['Alice', 'alice'], ['Alice Again', 'alice2'], ['Alice Mbox', 'alice3']], password: 'Pa55-word-2026' });
  process.env.MAILROOM_DATA = data.path;
  directory = await Directory.open();
  databases = new MailboxDatabases(directory);
});

after(async () => {
  await databases?.closeAll();
  await directory?.close();
  await dovecot?.stop();
  data.cleanup();
});

async function storeOf(alias: string): Promise<{ store: MailStore; id: string }> {
  const mailbox = await directory.requireMailbox(alias);
  return { store: await databases.storeFor(mailbox), id: mailbox.id };
}

const source = () => new ImapSource({
  host: '127.0.0.1', port: dovecot.plainPort, security: 'Tls', certificateFingerprint: dovecot.fingerprint,
  userName: 'alice', masterUserName: 'migrator', password: 'master-pass-2026',
});

async function run(src: MigrationSource, store: MailStore, id: string, options: Parameters<typeof importMailbox>[3] = {}) {
  try {
    return await importMailbox(store, id, src, options);
  } finally {
    await src.close?.();
  }
}

const names = () => atSource.map((f) => f.path.join('/'));

test('an import stopped half-way goes on where it stopped; the mailbox then holds what Dovecot serves; a third run adds nothing', { skip }, async () => {
  const { store, id } = await storeOf('alice');
  const total = atSource.reduce((n, f) => n + f.messages.length, 0);
  // Stopped after 10 messages, as a kill or a Stop would.
  const stop = new AbortController();
  const first = await run(source(), store, id, {
    signal: stop.signal,
    onProgress: (p) => {
      if (p.itemsTransferred >= 10) stop.abort(new Error('stopped by the test'));
    },
  });
  assert.equal(first.status, 'Failed', JSON.stringify(first));
  assert.ok(first.itemsTransferred >= 10 && first.itemsTransferred < total, `${first.itemsTransferred} of ${total}`);

  const second = await run(source(), store, id);
  assert.equal(second.status, 'Completed', second.failure);
  assert.equal(second.itemsTransferred, total - first.itemsTransferred);
  for (const f of second.folders) {
    assert.ok(f.addsUp, f.source);
    assert.ok(f.uidsKept, `${f.source}: UIDs kept`);
  }
  const compared = assertSameFolders(await mailboxContents(store, id, names()), atSource, 'after the resumed import');
  assert.equal(compared, total);

  const third = await run(source(), store, id);
  assert.equal(third.status, 'Completed', third.failure);
  assert.equal(third.itemsTransferred, 0);
  assert.equal(third.folders.reduce((n, f) => n + f.alreadyImported, 0), total);
  assertSameFolders(await mailboxContents(store, id, names()), atSource, 'after a run that found everything there');
});

test('export as Maildir++ and import into a fresh mailbox: the same folders, UIDs, flags, dates and bytes', { skip }, async () => {
  const from = await storeOf('alice');
  const target = join(data.path, 'alice-export');
  const exported = await exportMailbox(from.store, from.id, { format: 'Maildir', path: target, selection: { includeFolders: names() } });
  assert.deepEqual(exported.warnings, []);
  const to = await storeOf('alice2');
  const report = await run(new MaildirSource(target), to.store, to.id);
  assert.equal(report.status, 'Completed', report.failure);
  assertSameFolders(await mailboxContents(to.store, to.id, names()), atSource, 'after export and import');
});

test('export as mbox and import into a fresh mailbox: the same folders, messages, flags and dates', { skip }, async () => {
  const from = await storeOf('alice');
  const target = join(data.path, 'alice-mbox');
  const exported = await exportMailbox(from.store, from.id, { format: 'Mbox', path: target, selection: { includeFolders: names() } });
  assert.deepEqual(exported.warnings, []);
  const to = await storeOf('alice3');
  const report = await run(new MboxSource(target), to.store, to.id);
  assert.equal(report.status, 'Completed', report.failure);
  // mbox keeps no UIDs: compare everything else, message by message in order.
  const got = await mailboxContents(to.store, to.id, names());
  for (const [i, s] of atSource.entries()) {
    const where = s.path.join('/');
    assert.equal(got[i]!.messages.length, s.messages.length, where);
    for (const [j, m] of s.messages.entries()) {
      const a = got[i]!.messages[j]!;
      assert.ok(a.raw.equals(m.raw), `${where} #${j}: bytes`);
      assert.deepEqual(a.flags, m.flags, `${where} #${j}: flags`);
      assert.equal(a.internalDate, m.internalDate, `${where} #${j}: INTERNALDATE`);
    }
  }
});
