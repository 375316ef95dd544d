// `mailroom setup`: a new organization with Exchange's defaults and no demo content, and
// `mailroom setup --join`: another server in an organization whose directory is in PostgreSQL.
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
  if (await directory.organization()) {
    throw new SetupError(`An organization already exists in the directory at ${directory.describe()}. To add this machine as another server of it: mailroom setup --join URL --server NAME.`);
  }
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

export interface JoinOptions {
  server: string;
  fqdn?: string;
  /** The site to place the server in: created when the organization has none by that name. */
  site?: string;
}

export interface JoinResult {
  organization: Organization;
  serverName: string;
  fqdn: string;
  site: string;
  database: string;
  certificateThumbprint: string;
}

/** NetBIOS-style server names, as Exchange requires: letters, digits and hyphens, at most 15. */
function checkServerName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/.test(name)) {
    throw new SetupError(`--server must be 1–15 letters, digits or hyphens, such as MAIL02 (got '${name}').`);
  }
}

/**
 * Adds a server to the organization in this directory: its row, services, protocol settings and
 * receive connectors (as setup makes them for the first server), a self-signed certificate, and
 * its first mailbox database, "Mailbox Database NAME", mounted. Refused when there is no
 * organization, when the server is already in it, and when this machine cannot read the
 * directory's secrets (the servers must share MAILROOM_SECRETS_KEY).
 */
export async function joinOrganization(directory: Directory, options: JoinOptions): Promise<JoinResult> {
  const organization = await directory.organization();
  if (!organization) {
    throw new SetupError(`--join: there is no organization in the directory at ${directory.describe()} yet. Create it first with mailroom setup --directory URL --organization NAME --domain DOMAIN --admin-password PW.`);
  }
  checkServerName(options.server);
  const servers = await directory.servers();
  const existing = servers.find((s) => s.name.toLowerCase() === options.server.toLowerCase());
  if (existing) {
    throw new SetupError(`--join: ${existing.name} (${existing.fqdn}) is already a server of ${organization.name}. Get-ExchangeServer lists the servers; start it with mailroom start --server ${existing.name}.`);
  }
  const fqdn = (options.fqdn ?? `${options.server.toLowerCase()}.${await directory.defaultDomain()}`).toLowerCase();
  if (!looksLikeDomain(fqdn) && !/^[0-9.]+$/.test(fqdn)) throw new SetupError(`--fqdn must be a host name such as mail02.contoso.com (got '${fqdn}').`);
  const taken = servers.find((s) => s.fqdn.toLowerCase() === fqdn);
  if (taken) throw new SetupError(`--fqdn: ${fqdn} is already the FQDN of ${taken.name}.`);
  const database = `Mailbox Database ${options.server}`;
  if ((await directory.mailboxDatabases()).some((d) => d.name.toLowerCase() === database.toLowerCase())) {
    throw new SetupError(`--join: the organization already has a mailbox database named '${database}'.`);
  }
  // The certificates' keys are sealed with the organization's secrets key: a server that cannot
  // open them could not prove itself to the others, nor serve TLS with a certificate it is given.
  try {
    await directory.certificates();
  } catch (err) {
    throw new SetupError(`--join: this machine cannot open the secrets in the directory (${err instanceof Error ? err.message : String(err)}). Set MAILROOM_SECRETS_KEY to the same key on every server of the organization (docs/security.md).`);
  }
  const site = options.site?.trim() || 'Default-First-Site-Name';
  const certificate = await createSelfSignedCertificate([fqdn, options.server.toLowerCase(), 'localhost']);
  await directory.addServer({ name: options.server, fqdn, site });
  await directory.addMailboxDatabase({ name: database, server: options.server });
  await directory.addCertificate({ ...certificate, server: options.server, services: ['IMAP', 'POP', 'SMTP', 'IIS'] });
  return { organization, serverName: options.server, fqdn, site, database, certificateThumbprint: certificate.thumbprint };
}
