// Send connectors (New-SendConnector / Set-SendConnector): how mail for remote domains leaves —
// through the MX records of the recipient's domain, or through smart hosts (a provider's relay,
// with optional authentication). They live in the directory database beside the other
// configuration, so every server of the organization sees the same ones; the queue reads them at
// each delivery attempt, so a change applies to the next attempt.
import { applySettings, defaultsOf, SettingsValidationError, type SettingDef, type SettingsDocument } from '../../config/model.ts';
import type { Directory } from '../../directory/directory.ts';
import { SecretBox } from '../../lib/secrets.ts';
import type { SqlDatabase } from '../../lib/sql/types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS send_connectors (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  value TEXT NOT NULL
);
`;

function checkAddressSpace(v: string): string | undefined {
  return /^(\*|(\*\.)?[A-Za-z0-9\u0080-\uffff-]+(\.[A-Za-z0-9\u0080-\uffff-]+)*)$/.test(normalizeAddressSpace(v))
    ? undefined
    : `entries must be a domain, *.domain or * (got '${v}').`;
}

/** Exchange writes address spaces as `SMTP:contoso.com;1` (type and cost); the domain is what counts. */
export function normalizeAddressSpace(v: string): string {
  return v.replace(/^smtp:/i, '').replace(/;\d+$/, '').trim().toLowerCase();
}

function checkSmartHost(v: string): string | undefined {
  return /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/.test(v) ? undefined : `entries must be host names or [IP addresses] (got '${v}').`;
}

export const SEND_CONNECTOR_SETTINGS: readonly SettingDef[] = [
  { name: 'Enabled', kind: 'bool', default: true, help: 'Whether the connector is used.' },
  { name: 'AddressSpaces', kind: 'string', multi: true, check: checkAddressSpace, default: ['*'],
    help: 'Recipient domains the connector serves: contoso.com, *.contoso.com, or * for all.' },
  { name: 'DNSRoutingEnabled', kind: 'bool', default: true, help: 'Deliver to the MX hosts of the recipient domain ($false: through SmartHosts).' },
  { name: 'SmartHosts', kind: 'string', multi: true, check: checkSmartHost, default: [],
    help: 'Relays to deliver through when DNSRoutingEnabled is $false, tried in order.' },
  { name: 'Port', kind: 'int', min: 1, max: 65535, default: 25, help: 'TCP port of the MX hosts or smart hosts.' },
  { name: 'RequireTLS', kind: 'bool', default: false, help: 'Refuse to deliver unless STARTTLS succeeds.' },
  { name: 'TlsAuthLevel', kind: 'enum', values: ['EncryptionOnly', 'CertificateValidation', 'DomainValidation'], nullable: true, default: null,
    help: 'With -RequireTLS $true: EncryptionOnly accepts any certificate; CertificateValidation needs one the system trusts; DomainValidation also needs it to name -TlsDomain (else the host).' },
  { name: 'TlsDomain', kind: 'string', nullable: true, default: null,
    help: 'With -TlsAuthLevel DomainValidation: the name the remote certificate must carry; $null uses the smart host or MX host name.' },
  { name: 'SmartHostAuthMechanism', kind: 'enum', values: ['None', 'BasicAuth', 'BasicAuthRequireTLS'], default: 'None',
    help: 'Authentication at the smart host; BasicAuthRequireTLS sends the password only after STARTTLS.' },
  { name: 'AuthenticationUserName', kind: 'string', nullable: true, default: null, help: 'User name for the smart host.' },
  { name: 'AuthenticationPassword', kind: 'string', nullable: true, default: null, help: 'Password for the smart host (never shown).' },
  { name: 'Fqdn', kind: 'string', nullable: true, default: null, help: 'Name given in EHLO; $null uses the server FQDN.' },
  { name: 'ConnectionInactivityTimeOut', kind: 'timespan', min: 1, max: 86400, default: 600, help: 'Longest wait for the remote server.' },
  { name: 'Comment', kind: 'string', nullable: true, default: null, help: 'Free text for administrators.' },
];

export interface SendConnector {
  name: string;
  settings: SettingsDocument;
}

const key = (s: string) => s.trim().toLowerCase();

/** The AAD of sealed smart-host passwords (lib/secrets.ts). */
const PURPOSE = 'send-connector-password';
const sealedIn = new WeakSet<Directory>();

/** The settings as stored: AuthenticationPassword sealed. */
function stored(directory: Directory, settings: SettingsDocument): string {
  const password = settings.AuthenticationPassword;
  const sealed = typeof password === 'string' && password !== '' && !SecretBox.isSealed(password)
    ? directory.secrets.seal(password, PURPOSE) : password;
  return JSON.stringify({ ...settings, AuthenticationPassword: sealed ?? null });
}

/** The settings as used: AuthenticationPassword opened. */
function loaded(directory: Directory, value: string): SettingsDocument {
  const settings = JSON.parse(value) as SettingsDocument;
  const password = settings.AuthenticationPassword;
  if (typeof password === 'string') settings.AuthenticationPassword = directory.secrets.open(password, PURPOSE);
  return settings;
}

/**
 * The table, with passwords stored before they were sealed sealed now: once per directory and
 * process, each row compared with its old value so concurrent processes seal it once.
 */
async function db(directory: Directory): Promise<SqlDatabase> {
  const database = await directory.tables(SCHEMA);
  if (!sealedIn.has(directory)) {
    for (const row of await database.all<{ name_key: string; value: string }>(`SELECT name_key, value FROM send_connectors`)) {
      const password = (JSON.parse(row.value) as SettingsDocument).AuthenticationPassword;
      if (typeof password !== 'string' || password === '' || SecretBox.isSealed(password)) continue;
      await database.run(`UPDATE send_connectors SET value = ? WHERE name_key = ? AND value = ?`, [stored(directory, JSON.parse(row.value) as SettingsDocument), row.name_key, row.value]);
    }
    sealedIn.add(directory);
  }
  return database;
}

/** Cross-parameter rules, as Exchange checks them. */
function checkConnector(doc: SettingsDocument): void {
  const hosts = doc.SmartHosts as string[];
  if (doc.DNSRoutingEnabled === false && hosts.length === 0) {
    throw new SettingsValidationError('-DNSRoutingEnabled $false needs -SmartHosts (for example -SmartHosts smtp.provider.example).', 'SmartHosts');
  }
  if (doc.DNSRoutingEnabled === true && hosts.length > 0) {
    throw new SettingsValidationError('-SmartHosts is used only with -DNSRoutingEnabled $false.', 'DNSRoutingEnabled');
  }
  if (doc.SmartHostAuthMechanism !== 'None' && (!doc.AuthenticationUserName || !doc.AuthenticationPassword)) {
    throw new SettingsValidationError(`-SmartHostAuthMechanism ${String(doc.SmartHostAuthMechanism)} needs -AuthenticationUserName and -AuthenticationPassword.`, 'SmartHostAuthMechanism');
  }
  // As in Exchange: the level applies to connections that must use TLS, the domain to DomainValidation.
  if (doc.TlsAuthLevel !== null && doc.RequireTLS !== true) {
    throw new SettingsValidationError('-TlsAuthLevel can be set only with -RequireTLS $true.', 'TlsAuthLevel');
  }
  if (doc.TlsDomain !== null && doc.TlsAuthLevel !== 'DomainValidation') {
    throw new SettingsValidationError('-TlsDomain is used only with -TlsAuthLevel DomainValidation.', 'TlsDomain');
  }
  // Mailroom's rule: a password goes only to a server whose certificate was verified (docs/security.md).
  if (doc.TlsAuthLevel === 'EncryptionOnly' && doc.SmartHostAuthMechanism !== 'None') {
    throw new SettingsValidationError(`-TlsAuthLevel EncryptionOnly would send the smart host password to a server whose certificate is not checked; use CertificateValidation or DomainValidation, or $null.`, 'TlsAuthLevel');
  }
}

/** Giving -SmartHosts without -DNSRoutingEnabled means routing through them, as in the EAC. */
function impliedRouting(changes: Record<string, unknown>): Record<string, unknown> {
  const hosts = changes.SmartHosts;
  if (changes.DNSRoutingEnabled === undefined && hosts !== undefined) {
    const empty = hosts === null || (Array.isArray(hosts) && hosts.length === 0);
    return { ...changes, DNSRoutingEnabled: empty };
  }
  return changes;
}

export async function sendConnectors(directory: Directory): Promise<SendConnector[]> {
  const rows = await (await db(directory)).all<{ name: string; value: string }>(`SELECT name, value FROM send_connectors ORDER BY name`);
  return rows.map((r) => ({ name: r.name, settings: { ...defaultsOf(SEND_CONNECTOR_SETTINGS, { serverName: '', fqdn: '' }), ...loaded(directory, r.value) } }));
}

export async function sendConnector(directory: Directory, name: string): Promise<SendConnector> {
  const all = await sendConnectors(directory);
  const found = all.find((c) => key(c.name) === key(name));
  if (!found) throw new Error(`There is no send connector '${name}' (connectors: ${all.map((c) => `"${c.name}"`).join(', ') || 'none'}).`);
  return found;
}

export async function newSendConnector(directory: Directory, name: string, changes: Record<string, unknown>): Promise<SendConnector> {
  if (name.trim() === '') throw new SettingsValidationError('-Name cannot be empty.', 'Name');
  const settings = applySettings(SEND_CONNECTOR_SETTINGS, defaultsOf(SEND_CONNECTOR_SETTINGS, { serverName: '', fqdn: '' }), impliedRouting(changes));
  checkConnector(settings);
  const database = await db(directory);
  await database.transaction(async (tx) => {
    if (await tx.get(`SELECT name FROM send_connectors WHERE name_key = ?`, [key(name)])) throw new Error(`The send connector '${name}' already exists.`);
    await tx.run(`INSERT INTO send_connectors (name_key, name, value) VALUES (?, ?, ?)`, [key(name), name.trim(), stored(directory, settings)]);
  });
  return { name: name.trim(), settings };
}

export async function setSendConnector(directory: Directory, name: string, changes: Record<string, unknown>): Promise<SendConnector> {
  const current = await sendConnector(directory, name);
  const settings = applySettings(SEND_CONNECTOR_SETTINGS, current.settings, impliedRouting(changes));
  checkConnector(settings);
  await (await db(directory)).run(`UPDATE send_connectors SET value = ? WHERE name_key = ?`, [stored(directory, settings), key(current.name)]);
  return { name: current.name, settings };
}

export async function removeSendConnector(directory: Directory, name: string): Promise<void> {
  const current = await sendConnector(directory, name);
  await (await db(directory)).run(`DELETE FROM send_connectors WHERE name_key = ?`, [key(current.name)]);
}

/** How specific an address space is for a domain: -1 when it does not match. */
function matchLength(space: string, domain: string): number {
  const s = normalizeAddressSpace(space);
  if (s === '*') return 0;
  if (s.startsWith('*.')) return domain.endsWith(s.slice(1)) ? s.length : -1;
  return domain === s ? s.length + 1 : -1;
}

/** The enabled connector with the most specific address space for `domain`, as Exchange routes. */
export function connectorFor(connectors: readonly SendConnector[], domain: string): SendConnector | undefined {
  let best: { connector: SendConnector; score: number } | undefined;
  for (const connector of connectors) {
    if (connector.settings.Enabled !== true) continue;
    for (const space of connector.settings.AddressSpaces as string[]) {
      const score = matchLength(space, domain.toLowerCase());
      if (score >= 0 && (!best || score > best.score)) best = { connector, score };
    }
  }
  return best?.connector;
}
