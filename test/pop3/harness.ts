// An in-process Mailroom for the POP3 tests: a real directory and mailbox database in a
// temporary data folder, the pop3 and pop3-backend services run by the real ServiceHost on
// free ports (110 and 995 plus an offset), and mail put into mailboxes through the store API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import type { MailStore } from '../../src/store/types.ts';
import { freePortOffset } from '../helpers.ts';

export const PASSWORDS = { alice: 'Alice-Pass-2026', bob: 'Bob-Pass-2026!', carol: 'Carol Pass 2026', admin: 'Admin-Pass-2026' } as const;

export interface PopTestServer {
  data: string;
  env: Record<string, string>;
  dir: Directory;
  plainPort: number;
  tlsPort: number;
  logLines: string[];
  /** Changes PopSettings (or service startup types) and applies them as the running server would. */
  apply(changes: Record<string, unknown>): Promise<void>;
  setService(name: 'pop3' | 'pop3-backend', startupType: 'Automatic' | 'Disabled'): Promise<void>;
  store(alias: string): Promise<{ store: MailStore; inboxId: number; mailboxId: string }>;
  append(alias: string, raw: Buffer | string, internalDate?: Date): Promise<number>;
  stop(): Promise<void>;
}

export async function startPopServer(): Promise<PopTestServer> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-pop3-'));
  const offset = await freePortOffset([110, 995]);
  // The store and the protocol log find the data folder through the environment, as in production.
  process.env.MAILROOM_DATA = data;
  process.env.MAILROOM_PORT_OFFSET = String(offset);
  const logLines: string[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const dir = await Directory.open();
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: PASSWORDS.admin });
  await useFastPasswords(dir);
  const [alice, bob, carol] = await Promise.all([fastCredentials(PASSWORDS.alice), fastCredentials(PASSWORDS.bob), fastCredentials(PASSWORDS.carol)]);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: alice });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', credentials: bob });
  await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', credentials: carol });
  await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
  await dir.addMailboxPermission('sales', 'alice', 'FullAccess');
  await dir.updateSettings('PopSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:110'], SSLBindings: ['127.0.0.1:995'] }, 'MAIL01');
  for (const service of ['pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', service, 'Automatic');
  // Only POP3 runs: the other services would need ports of their own.
  for (const service of ['smtp', 'web'] as const) await dir.setServiceStartupType('MAIL01', service, 'Disabled');

  const databases = new MailboxDatabases(dir);
  const authenticator = new Authenticator(dir, log);
  // Tests log on many times from one address; the throttle has its own tests.
  Object.assign(authenticator, { throttle: new LogonThrottle({ freeFailures: 1000 }) });
  const deps: ServiceDeps = { directory: dir, databases, authenticator, log, tls: new SecureContextCache() };
  const host = new ServiceHost(deps, 'MAIL01', 'all');
  await host.reconcile();

  const store = async (alias: string) => {
    const mailbox = await dir.requireMailbox(alias);
    const s = await databases.storeFor(mailbox);
    const inbox = await s.folder(mailbox.id, 'INBOX');
    return { store: s, inboxId: inbox!.id, mailboxId: mailbox.id };
  };
  return {
    data,
    env: { MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset) },
    dir,
    plainPort: 110 + offset,
    tlsPort: 995 + offset,
    logLines,
    async apply(changes) {
      await dir.updateSettings('PopSettings', changes, 'MAIL01');
      await host.reconcile();
    },
    async setService(name, startupType) {
      await dir.setServiceStartupType('MAIL01', name, startupType);
      await host.reconcile();
    },
    store,
    async append(alias, raw, internalDate) {
      const { store: s, inboxId } = await store(alias);
      const input = { raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), ...(internalDate ? { internalDate } : {}) };
      return (await s.append(inboxId, input)).uid;
    },
    async stop() {
      await host.stopAll();
      await databases.closeAll();
      await dir.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A short message with CRLF line ends. */
export function message(subject: string, body = `Body of ${subject}.`, from = 'sender@fabrikam.com'): string {
  return [`From: ${from}`, 'To: alice@contoso.com', `Subject: ${subject}`, 'Message-ID: <' + subject.replace(/\W/g, '') + '@fabrikam.com>', '', body, ''].join('\r\n');
}
