// The directory of an organization with two servers, for the tests that run them as separate
// processes: Contoso with MAIL01 (its first database, as setup makes it) and MAIL02 with its own
// database and a self-signed certificate, each known by a loopback address of its own (Linux
// answers on all of 127/8), and cheap password hashing.
import type { Directory } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { useFastPasswords } from './passwords.ts';

export const MAIL01_ADDRESS = '127.0.0.2';
export const MAIL02_ADDRESS = '127.0.0.3';

export async function setupTwoServers(dir: Directory, options: { mail02Site?: string } = {}): Promise<void> {
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', fqdn: MAIL01_ADDRESS, adminPassword: 'Admin-Pass-2026' });
  await useFastPasswords(dir);
  await dir.addServer({ name: 'MAIL02', fqdn: MAIL02_ADDRESS, site: options.mail02Site ?? 'Default-First-Site-Name' });
  await dir.addMailboxDatabase({ name: 'Mailbox Database MAIL02', server: 'MAIL02' });
  const cert = await createSelfSignedCertificate([MAIL02_ADDRESS, 'mail02']);
  await dir.addCertificate({ ...cert, server: 'MAIL02', services: ['IMAP', 'POP', 'SMTP', 'IIS'] });
}
