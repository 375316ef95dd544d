// An organization with two servers in one directory for the mail delivery port tests: MAIL01
// runs the smtp-backend service (LMTP on 127.0.0.1:2525 + a free offset) for its database,
// MAIL02 has a database and a certificate of its own, and a stranger's certificate belongs to
// nobody. Mailboxes: alice, bob, carol (MAIL01, carol with a tiny quota), dave (MAIL02), erin (a
// second database on MAIL01). breakBlobWrite() makes the store fail to write one message.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailboxDelivery } from '../../src/backend/delivery.ts';
import { LmtpDeliveryService } from '../../src/backend/lmtp-delivery-listener.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory, type Certificate } from '../../src/directory/directory.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { createSelfSignedCertificate, type CertificateMaterial } from '../../src/lib/certificates.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { pickCertificate, SecureContextCache, ServiceHost } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { BlobFiles } from '../../src/store/blob/files.ts';
import { databaseFolder } from '../../src/store/open.ts';
import { freePortOffset } from '../helpers.ts';

export interface LmtpBackend {
  data: string;
  dir: Directory;
  databases: MailboxDatabases;
  delivery: MailboxDelivery;
  service: LmtpDeliveryService;
  port: number;
  offset: number;
  certificates: { mail01: Certificate; mail02: Certificate; stranger: CertificateMaterial };
  messages(alias: string, folder?: 'inbox' | 'junk'): Promise<{ uid: number; raw: Buffer }[]>;
  /** Puts a file where the blob folder of this (large) message would go in MAIL01's database, so storing it fails. */
  breakBlobWrite(message: Buffer): void;
  stop(): Promise<void>;
}

/** Room left in carol's mailbox: less than most test messages once one small message is in. */
export const CAROL_QUOTA = 4096;

/** `fqdn` is MAIL01's: the name other servers connect to (an address when the test has no DNS for it). */
export async function startLmtpBackend(options: { fqdn?: string } = {}): Promise<LmtpBackend> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-lmtp-'));
  const offset = await freePortOffset([2525]);
  process.env.MAILROOM_DATA = data;
  const dir = await Directory.open();
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', fqdn: options.fqdn ?? 'mail01.contoso.com', adminPassword: 'Admin-Pass-2026' });
  // MAIL02 runs nothing in these tests: an address where nobody listens.
  await dir.addServer({ name: 'MAIL02', fqdn: '127.0.0.9', site: 'Default-First-Site-Name' });
  await dir.addMailboxDatabase({ name: 'Mailbox Database MAIL02', server: 'MAIL02' });
  await dir.addMailboxDatabase({ name: 'Second Database', server: 'MAIL01' });
  const mail02Material = await createSelfSignedCertificate(['mail02.contoso.com', 'mail02', 'localhost']);
  await dir.addCertificate({ ...mail02Material, server: 'MAIL02', services: ['IMAP', 'POP', 'SMTP', 'IIS'] });
  const stranger = await createSelfSignedCertificate(['mail99.contoso.com']);
  for (const alias of ['alice', 'bob', 'carol']) await dir.createMailbox({ name: alias, alias });
  await dir.createMailbox({ name: 'dave', alias: 'dave', database: 'Mailbox Database MAIL02' });
  await dir.createMailbox({ name: 'erin', alias: 'erin', database: 'Second Database' });
  await dir.updateMailbox('carol', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendReceiveQuota: CAROL_QUOTA } });

  const databases = new MailboxDatabases(dir, 'MAIL01');
  const delivery = new MailboxDelivery(dir, databases);
  const host = new ServiceHost({ directory: dir, databases, authenticator: new Authenticator(dir, silentLogger), log: silentLogger, tls: new SecureContextCache() }, 'MAIL01', 'all');
  const service = await LmtpDeliveryService.start(await host.readSnapshot(), {
    directory: dir, delivery, log: silentLogger, portOffset: offset, pickCertificate, bindings: ['127.0.0.1:2525'],
  });
  const certs = await dir.certificates();
  return {
    data, dir, databases, delivery, service, offset, port: 2525 + offset,
    certificates: { mail01: certs.find((c) => c.server === 'MAIL01')!, mail02: certs.find((c) => c.server === 'MAIL02')!, stranger },
    async messages(alias, folder = 'inbox') {
      const mailbox = await dir.requireMailbox(alias);
      const store = await databases.storeFor(mailbox);
      const target = (await store.folders(mailbox.id)).find((f) => f.role === folder)!;
      const out: { uid: number; raw: Buffer }[] = [];
      for (const m of await store.messages(target.id)) out.push({ uid: m.uid, raw: await store.readBlob(m.blobId) });
      return out;
    },
    breakBlobWrite(message) {
      const blobs = join(databaseFolder('Mailbox Database MAIL01'), 'blobs');
      mkdirSync(blobs, { recursive: true });
      writeFileSync(join(blobs, BlobFiles.idOf(message).slice(0, 2)), 'not a folder');
    },
    async stop() {
      await service.stop(0);
      await databases.closeAll();
      await dir.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A test message with CRLF line ends. */
export function testMessage(subject: string, body = 'Hello.'): Buffer {
  return Buffer.from(`Return-Path: <alice@contoso.com>\r\nFrom: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: ${subject}\r\n\r\n${body}\r\n`);
}
