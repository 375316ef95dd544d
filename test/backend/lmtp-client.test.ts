// The sending side of the mail delivery port: NetworkDelivery on nodemailer's SMTPConnection in
// LMTP mode, as MAIL02's smtp service uses it to deliver into MAIL01's databases, and the
// DeliveryRouter that picks in-process or network delivery by where the database is mounted.
// Real sockets, real TLS with both servers' certificates from the directory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryRouter, NetworkDelivery } from '../../src/backend/delivery-router.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { MailboxDelivery } from '../../src/backend/delivery.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { pickCertificate } from '../../src/host/server.ts';
import type { DeliveryItem } from '../../src/smtp/delivery.ts';
import { CAROL_QUOTA, startLmtpBackend, testMessage, type LmtpBackend } from './lmtp-harness.ts';

let h: LmtpBackend;
let network: NetworkDelivery;

before(async () => {
  // No DNS in tests: MAIL01 is known by its address.
  h = await startLmtpBackend({ fqdn: '127.0.0.1' });
  network = new NetworkDelivery({ directory: h.dir, serverName: 'MAIL02', log: silentLogger, portOffset: h.offset, pickCertificate });
});

after(async () => {
  network?.close();
  await h?.stop();
});

async function item(alias: string, message: Buffer, extra: Partial<DeliveryItem> = {}): Promise<DeliveryItem> {
  const mailbox = await h.dir.requireMailbox(alias);
  return { address: mailbox.primarySmtpAddress, mailbox, message, ...extra };
}

test('a message for two mailboxes goes as one transaction; each copy is stored byte for byte under the UID reported', async () => {
  const message = testMessage('Over the wire', '.dot-stuffed line\r\n..two dots');
  const results = await network.deliver([await item('alice', message), await item('bob', message)]);
  assert.equal(results.length, 2);
  for (const [alias, result] of [['alice', results[0]!], ['bob', results[1]!]] as const) {
    assert.ok(result.ok, JSON.stringify(result));
    assert.ok(result.uid > 0, 'the UID comes back from the per-recipient reply');
    assert.deepEqual((await h.messages(alias)).find((m) => m.uid === result.uid)?.raw, message);
  }
});

test('bytes DATA cannot carry (no final CRLF, bare LF and CR, NUL) are stored exactly as given', async () => {
  for (const message of [
    Buffer.from('Return-Path: <>\r\nSubject: no final CRLF\r\n\r\nlast line'),
    Buffer.concat([testMessage('Binary'), Buffer.from('bare\nLF\rCR\0NUL\r\n.\r\n')]),
  ]) {
    const [result] = await network.deliver([await item('bob', message)]);
    assert.ok(result?.ok, JSON.stringify(result));
    assert.deepEqual((await h.messages('bob')).find((m) => m.uid === result.uid)?.raw, message);
  }
});

test('the junk folder travels with the message', async () => {
  const message = testMessage('Quarantined over the wire');
  const [result] = await network.deliver([await item('bob', message, { folder: 'junk' })]);
  assert.ok(result?.ok);
  assert.ok((await h.messages('bob', 'junk')).some((m) => m.uid === result.uid && m.raw.equals(message)));
});

test('quota() asks the owning server (XQUOTA) and matches its in-process answer', async () => {
  for (const alias of ['alice', 'carol']) {
    const mailbox = await h.dir.requireMailbox(alias);
    assert.deepEqual(await network.quota(mailbox), await h.delivery.quota(mailbox));
  }
  assert.equal((await network.quota(await h.dir.requireMailbox('carol'))).prohibitSendReceive, CAROL_QUOTA);
  // MAIL02 runs nothing here: the question cannot be answered.
  await assert.rejects(network.quota(await h.dir.requireMailbox('dave')));
});

test('per-recipient failures: over quota is reason quota, an unknown address is failed, and later transactions are not attempted', async () => {
  const big = testMessage('Too big for carol', 'z'.repeat(CAROL_QUOTA));
  const other = testMessage('Another message');
  const alice = await item('alice', big);
  const results = await network.deliver([
    alice,
    await item('carol', big),
    { ...alice, address: 'gone@contoso.com' },
    await item('bob', other),
  ]);
  assert.ok(results[0]!.ok);
  assert.deepEqual(results[1], { address: 'carol@contoso.com', ok: false, reason: 'quota', detail: results[1]!.ok ? '' : results[1]!.detail });
  assert.match(results[1]!.ok ? '' : results[1]!.detail, /^452 4\.2\.2 /);
  assert.ok(!results[2]!.ok && results[2]!.reason === 'failed' && /^550 5\.1\.1 /.test(results[2]!.detail));
  assert.deepEqual(results[3], { address: 'bob@contoso.com', ok: false, reason: 'failed', detail: 'not attempted' });
  assert.ok(!(await h.messages('bob')).some((m) => m.raw.equals(other)));

  // Every recipient refused at RCPT: the session stays usable for the next message.
  const [refused] = await network.deliver([await item('carol', big)]);
  assert.ok(refused && !refused.ok && refused.reason === 'quota' && /^452 4\.2\.2 /.test(refused.detail), JSON.stringify(refused));
  const [next] = await network.deliver([await item('bob', other)]);
  assert.ok(next?.ok);
});

test('deliveries and quota questions in a row share one connection', async () => {
  const own = new NetworkDelivery({ directory: h.dir, serverName: 'MAIL02', log: silentLogger, portOffset: h.offset, pickCertificate });
  try {
    const before = h.service.connections;
    for (let i = 0; i < 3; i++) {
      const [result] = await own.deliver([await item('bob', testMessage(`In a row ${i}`))]);
      assert.ok(result?.ok);
      await own.quota(await h.dir.requireMailbox('bob'));
    }
    assert.equal(h.service.connections, before + 1);
  } finally {
    own.close();
  }
});

test('a server presenting a certificate the directory does not hold for it gets nothing', async () => {
  const target = await network.targetFor('MAIL01');
  const message = testMessage('Not for impostors');
  const replies = await network.client.deliver({ ...target, thumbprints: [h.certificates.mail02.thumbprint] }, {
    sender: '', recipients: ['alice@contoso.com'], message, folder: 'inbox',
  });
  assert.equal(replies[0]!.code, 0);
  assert.match(replies[0]!.line, /which the directory does not hold for it/);
  assert.ok(!(await h.messages('alice')).some((m) => m.raw.equals(message)));
});

test('the router delivers in-process to databases mounted here and over LMTP to the others, in order', async () => {
  // This process plays MAIL02 too: its databases are the ones mounted on MAIL02 (the locator opens no others).
  const mail02 = new MailboxDatabases(h.dir, 'MAIL02');
  try {
    const local = new MailboxDelivery(h.dir, mail02);
    const router = new DeliveryRouter({ local, network, directory: h.dir, serverName: 'MAIL02', log: silentLogger, portOffset: h.offset, pickCertificate });
    const message = testMessage('Routed');
    assert.equal(await router.isLocal(await h.dir.requireMailbox('dave')), true);
    assert.equal(await router.isLocal(await h.dir.requireMailbox('alice')), false);
    const results = await router.deliver([await item('dave', message), await item('alice', message), await item('erin', message)]);
    assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
    for (const alias of ['alice', 'erin']) assert.ok((await h.messages(alias)).some((m) => m.raw.equals(message)), alias);
    const dave = await h.dir.requireMailbox('dave');
    const store = await mail02.storeFor(dave);
    const inbox = (await store.folders(dave.id)).find((f) => f.role === 'inbox')!;
    const held = await Promise.all((await store.messages(inbox.id)).map((m) => store.readBlob(m.blobId)));
    assert.ok(held.some((raw) => raw.equals(message)), 'dave');
    assert.deepEqual(await router.quota(await h.dir.requireMailbox('alice')), await h.delivery.quota(await h.dir.requireMailbox('alice')));
  } finally {
    await mail02.closeAll();
  }
});
