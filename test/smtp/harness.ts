// An in-process Mailroom for the SMTP tests: a real directory and mailbox database in a temporary
// data folder and the SMTP service on the three default connectors, bound to 127.0.0.1 on
// 25/587/465 plus a free port offset. Mailbox contents are read back through the store API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { MailboxDelivery } from '../../src/backend/delivery.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { pickCertificate, SecureContextCache, ServiceHost } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { tableResolver } from '../../src/smtp/dns.ts';
import { SmtpService, type SmtpServiceDeps } from '../../src/smtp/service.ts';
import { freePortOffset } from '../helpers.ts';

export const PASSWORDS = { alice: 'Alice-Pass-2026', bob: 'Bob-Pass-2026!', carol: 'Carol-Pass-2026', admin: 'Admin-Pass-2026' } as const;

export const CONNECTORS = {
  inbound: 'Default Frontend MAIL01',
  submission: 'Client Frontend MAIL01',
  secure: 'Client Frontend Secure MAIL01',
} as const;

export interface StoredMessage {
  uid: number;
  raw: Buffer;
}

export interface SmtpTestServer {
  data: string;
  dir: Directory;
  databases: MailboxDatabases;
  service: SmtpService;
  ports: { inbound: number; submission: number; secure: number };
  offset: number;
  logLines: string[];
  /** Changes a receive connector (or the transport config) and applies it as the running host would. */
  setConnector(name: keyof typeof CONNECTORS, changes: Record<string, unknown>): Promise<void>;
  setTransport(changes: Record<string, unknown>): Promise<void>;
  reload(): Promise<void>;
  messages(alias: string, folder?: 'inbox' | 'junk'): Promise<StoredMessage[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra dependencies (inbound checks, outbound queue, calendar rewriting). */
  deps?: (base: { dir: Directory; databases: MailboxDatabases; delivery: MailboxDelivery; data: string; log: Logger }) => Partial<SmtpServiceDeps> | Promise<Partial<SmtpServiceDeps>>;
  domain?: string;
  /** DNS records for tableResolver, e.g. `{ 'example.org TXT': [['v=spf1 -all']] }`. */
  dns?: Record<string, unknown[]>;
}

export async function startSmtpServer(options: HarnessOptions = {}): Promise<SmtpTestServer> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-smtp-'));
  // 26: the connector tests move port 25 there and back.
  const offset = await freePortOffset([25, 26, 587, 465]);
  process.env.MAILROOM_DATA = data;
  const logLines: string[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const dir = await Directory.open();
  await setupOrganization(dir, { organization: 'Contoso', domain: options.domain ?? 'contoso.com', server: 'MAIL01', adminPassword: PASSWORDS.admin });
  await useFastPasswords(dir);
  const [alice, bob, carol] = await Promise.all([fastCredentials(PASSWORDS.alice), fastCredentials(PASSWORDS.bob), fastCredentials(PASSWORDS.carol)]);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: alice });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', credentials: bob });
  await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', credentials: carol });
  await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
  await dir.addMailboxPermission('sales', 'alice', 'SendAs');
  await dir.addMailboxPermission('sales', 'carol', 'FullAccess');
  await dir.updateMailbox('bob', { addAddresses: ['robert@contoso.com', 'info@contoso.com'] });
  for (const [name, port] of [['inbound', 25], ['submission', 587], ['secure', 465]] as const) {
    // Tarpits are tested on their own; elsewhere they would only slow the run down.
    await dir.updateReceiveConnector(CONNECTORS[name], { Bindings: [`127.0.0.1:${port}`], TarpitInterval: 0, AuthTarpitInterval: 0 });
  }
  const databases = new MailboxDatabases(dir);
  const authenticator = new Authenticator(dir, log);
  Object.assign(authenticator, { throttle: new LogonThrottle({ freeFailures: 1000 }) });
  const delivery = new MailboxDelivery(dir, databases);
  const host = new ServiceHost({ directory: dir, databases, authenticator, log, tls: new SecureContextCache() }, 'MAIL01', 'all');
  const extra = (await options.deps?.({ dir, databases, delivery, data, log })) ?? {};
  const service = await SmtpService.start(await host.readSnapshot(), {
    // No test may need the network: DNS answers from a table (empty unless a test fills it).
    directory: dir, authenticator, log, delivery, portOffset: offset, pickCertificate, dns: tableResolver(options.dns ?? {}), ...extra,
  });
  const reload = async () => service.reconfigure(await host.readSnapshot());
  return {
    data, dir, databases, service, offset, logLines,
    ports: { inbound: 25 + offset, submission: 587 + offset, secure: 465 + offset },
    async setConnector(name, changes) {
      await dir.updateReceiveConnector(CONNECTORS[name], changes);
      await reload();
    },
    async setTransport(changes) {
      await dir.updateSettings('TransportConfig', changes);
      await reload();
    },
    reload,
    async messages(alias, folder = 'inbox') {
      const mailbox = await dir.requireMailbox(alias);
      const store = await databases.storeFor(mailbox);
      const target = (await store.folders(mailbox.id)).find((f) => f.role === folder)!;
      const out: StoredMessage[] = [];
      for (const m of await store.messages(target.id)) out.push({ uid: m.uid, raw: await store.readBlob(m.blobId) });
      return out;
    },
    async stop() {
      await service.stop(0);
      await databases.closeAll();
      await dir.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** The message as the sender wrote it: what follows the headers Mailroom prepended. */
export function withoutPrependedHeaders(raw: Buffer, original: Buffer): Buffer {
  const at = raw.indexOf(original);
  if (at < 0) throw new Error('the original message is not in the stored one');
  return raw.subarray(at);
}

export function message(opts: { from: string; to: string; subject?: string; body?: string; extra?: string }): string {
  return [
    `From: ${opts.from}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject ?? 'Test'}`,
    'Date: Thu, 26 Nov 2026 10:00:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@test>`,
    ...(opts.extra ? [opts.extra] : []),
    '',
    opts.body ?? 'Hello.',
    '',
  ].join('\r\n');
}
