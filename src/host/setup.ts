// `mailroom setup`: a new organization with Exchange's defaults and no demo content.
import { hostname } from 'node:os';
import { credentialsFor, passwordProblem } from '../auth/credentials.ts';
import type { Directory, Mailbox, Organization } from '../directory/directory.ts';
import { createSelfSignedCertificate } from '../lib/certificates.ts';

export interface SetupOptions {
  organization: string;
  domain: string;
  fqdn?: string;
  server?: string;
  adminPassword: string;
}

export interface SetupResult {
  organization: Organization;
  serverName: string;
  fqdn: string;
  administrator: Mailbox;
  certificateThumbprint: string;
}

export function defaultServerName(): string {
  const first = hostname().split('.')[0] ?? 'MAIL01';
  const cleaned = first.replace(/[^A-Za-z0-9-]/g, '').slice(0, 15).toUpperCase();
  return cleaned.length > 0 ? cleaned : 'MAIL01';
}

export class SetupError extends Error {}

/** Something, a dot, something; no spaces or @. Checked by index (`^[^\s@]+\.[^\s@]+$` was quadratic). */
export function looksLikeDomain(text: string): boolean {
  return text.length >= 3 && !/[\s@]/.test(text) && text.slice(1, -1).includes('.');
}

export async function setupOrganization(directory: Directory, options: SetupOptions): Promise<SetupResult> {
  if (!looksLikeDomain(options.domain)) throw new SetupError(`--domain must be a domain name such as contoso.com (got '${options.domain}').`);
  const problem = passwordProblem(options.adminPassword);
  if (problem) throw new SetupError(`--admin-password ${problem}`);
  const serverName = options.server ?? defaultServerName();
  const fqdn = (options.fqdn ?? `${serverName.toLowerCase()}.${options.domain}`).toLowerCase();
  // NetBIOS-style short name for DOMAIN\user logons: the first label of the domain.
  const shortDomain = options.domain.split('.')[0]!.toUpperCase().slice(0, 15);
  const [adminCredentials, certificate] = await Promise.all([
    credentialsFor(options.adminPassword),
    createSelfSignedCertificate([fqdn, serverName.toLowerCase(), 'localhost']),
  ]);
  const organization = await directory.createOrganization({
    name: options.organization, domain: options.domain.toLowerCase(), shortDomain, serverName, fqdn,
  });
  const administrator = await directory.createMailbox({
    name: 'Administrator', alias: 'Administrator', builtin: 'Administrator', credentials: adminCredentials,
  });
  // Reserved so that nobody can create a mailbox that logs on as Anonymous or Guest.
  for (const name of ['Anonymous', 'Guest'] as const) {
    await directory.createMailbox({ name, alias: name, type: 'system', builtin: name });
  }
  await directory.addRoleGroupMember('Organization Management', administrator.id);
  await directory.addCertificate({ ...certificate, server: serverName, services: ['IMAP', 'POP', 'SMTP', 'IIS'] });
  return { organization, serverName, fqdn, administrator, certificateThumbprint: certificate.thumbprint };
}
