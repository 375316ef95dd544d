// The organization most end-to-end tests (and the soak run) start from, written straight into a
// data folder's directory, because each `mailroom` command costs a process start: Contoso with
// server MAIL01, IMAP4 and POP3 enabled on loopback, the three receive connectors on loopback,
// the web service off unless asked for, cheap password hashing, and the given mailboxes.
import { Directory } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { fastCredentials, useFastPasswords } from './passwords.ts';

export interface TestOrganizationOptions {
  /** Mailboxes as [display name, alias]; each gets `password`. */
  mailboxes: readonly (readonly [string, string])[];
  password: string;
  /** Leave the web service at its default (Automatic) instead of disabling it. */
  web?: boolean;
}

export async function createTestOrganization(dataPath: string, options: TestOrganizationOptions): Promise<void> {
  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = dataPath;
  const dir = await Directory.open();
  try {
    await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
    await useFastPasswords(dir);
    await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:143'], SSLBindings: ['127.0.0.1:993'] }, 'MAIL01');
    await dir.updateSettings('PopSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:110'], SSLBindings: ['127.0.0.1:995'] }, 'MAIL01');
    for (const service of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', service, 'Automatic');
    if (!options.web) await dir.setServiceStartupType('MAIL01', 'web', 'Disabled');
    for (const [name, port] of [['Default Frontend MAIL01', 25], ['Client Frontend MAIL01', 587], ['Client Frontend Secure MAIL01', 465]] as const) {
      await dir.updateReceiveConnector(name, { Bindings: [`127.0.0.1:${port}`] });
    }
    const credentials = await fastCredentials(options.password);
    for (const [name, alias] of options.mailboxes) await dir.createMailbox({ name, alias, credentials });
  } finally {
    await dir.close();
    if (previous === undefined) delete process.env.MAILROOM_DATA;
    else process.env.MAILROOM_DATA = previous;
  }
}
