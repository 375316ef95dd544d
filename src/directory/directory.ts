// The directory: organization, domains, topology, mailboxes, credentials, permissions, and the
// configuration every server reads. Every write bumps one revision counter in the same
// transaction, which is how running servers notice a change made by another process.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { dataFolder, directoryUrl } from '../lib/env.ts';
import { makePrivateDir } from '../lib/private-files.ts';
import { SecretBox } from '../lib/secrets.ts';
import { SqliteDatabase } from '../lib/sql/sqlite.ts';
import type { SqlDatabase, SqlExecutor } from '../lib/sql/types.ts';
import { CAS_MAILBOX_SETTINGS, DATABASE_SETTINGS, MAILBOX_SETTINGS } from '../config/mailbox.ts';
import {
  applySettings,
  completeDocument,
  defaultsOf,
  type DefaultsContext,
  type SettingDef,
  type SettingsDocument,
} from '../config/model.ts';
import { checkProtocolSettings, IMAP_SETTINGS, POP_SETTINGS } from '../config/pop-imap.ts';
import {
  connectorDefaults,
  DEFAULT_CONNECTORS,
  RECEIVE_CONNECTOR_SETTINGS,
} from '../config/receive-connector.ts';
import { SERVICES, type ExplicitState, type ServiceName, type StartupType } from '../config/services.ts';
import { ORGANIZATION_CONFIG } from '../config/organization.ts';
import { TRANSPORT_CONFIG } from '../config/transport.ts';
import { WEB_SETTINGS } from '../config/web.ts';
import { checkTransportService, TRANSPORT_SERVICE_SETTINGS } from '../config/transport-service.ts';
import { OWA_VIRTUAL_DIRECTORY } from '../config/owa.ts';
import { ADDED_COLUMNS, SCHEMA, SCHEMA_VERSION } from './schema.ts';
import { chooseServer, serverFromEnvironment } from './server-identity.ts';

export type MailboxType = 'user' | 'shared' | 'system';
/** Accounts that may never open a mailbox by POP3 or IMAP4 (exchange-features.md §1.4). */
export type BuiltinAccount = 'Administrator' | 'Anonymous' | 'Guest';
export type MailboxRight = 'FullAccess' | 'SendAs';

export interface Organization {
  id: string;
  name: string;
  shortDomain: string;
  createdAt: string;
}

export interface Server {
  name: string;
  fqdn: string;
  site: string;
  heartbeatAt: number | null;
  status: Record<string, string> | null;
}

export interface MailboxDatabase {
  name: string;
  /** The server the database belongs to (Exchange's Server/MountedOnServer). */
  server: string;
  engine: 'sqlite' | 'postgres';
  /** Mount-Database / Dismount-Database: a dismounted database is opened by nobody. */
  mounted: boolean;
  settings: SettingsDocument;
}

export interface Mailbox {
  id: string;
  name: string;
  alias: string;
  userPrincipalName: string;
  primarySmtpAddress: string;
  emailAddresses: string[];
  type: MailboxType;
  database: string;
  builtin: BuiltinAccount | null;
  accountDisabled: boolean;
  hasPassword: boolean;
  /** Moves each time a password is set (not when its hash is redone at a new cost). */
  credentialSerial: number;
  /** DisplayName, Languages, quotas (MAILBOX_SETTINGS) and CAS settings (CAS_MAILBOX_SETTINGS). */
  settings: SettingsDocument;
  createdAt: string;
}

export interface Credentials {
  passwordHash: string | null;
  scram: string | null;
}

export interface ServiceRecord {
  server: string;
  name: ServiceName;
  startupType: StartupType;
  explicit: ExplicitState;
  /** Moves at each Restart-Service; a running service started at another serial is restarted. */
  restartSerial: number;
}

export interface Certificate {
  thumbprint: string;
  server: string;
  subject: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  services: string[];
  selfSigned: boolean;
  certPem: string;
  keyPem: string;
}

export interface ReceiveConnector {
  identity: string;
  server: string;
  name: string;
  settings: SettingsDocument;
}

export type SettingsName = 'PopSettings' | 'ImapSettings' | 'TransportConfig' | 'WebSettings' | 'OrganizationConfig' | 'TransportService' | 'OwaVirtualDirectory';

/** Settings objects that came after the first organizations were set up: no row means the defaults. */
const ADDED_LATER: ReadonlySet<SettingsName> = new Set(['WebSettings', 'OrganizationConfig', 'TransportService', 'OwaVirtualDirectory']);

interface DatabaseRow {
  name: string;
  server: string;
  engine: string;
  mounted: number | boolean;
  settings: string;
}

function toMailboxDatabase(r: DatabaseRow): MailboxDatabase {
  return {
    name: r.name, server: r.server, engine: r.engine as 'sqlite' | 'postgres', mounted: Number(r.mounted) !== 0,
    settings: completeDocument(DATABASE_SETTINGS, JSON.parse(r.settings), { serverName: r.server, fqdn: '' }),
  };
}

export class DirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryError';
  }
}

const ALL_MAILBOX_SETTINGS: readonly SettingDef[] = [...MAILBOX_SETTINGS, ...CAS_MAILBOX_SETTINGS];

interface MailboxRow {
  id: string;
  name: string;
  alias: string;
  upn: string;
  primary_smtp: string;
  type: string;
  database_name: string;
  builtin: string | null;
  account_disabled: number;
  password_hash: string | null;
  settings: string;
  created_at: string;
  credential_serial: number | string;
}

const key = (s: string) => s.trim().toLowerCase();
const now = () => new Date().toISOString();

/**
 * How long a mailbox or mailbox database read may be reused. Delivery reads the same few rows
 * several times per message; a change made through this Directory object clears the cache at
 * once, one made by another process (a `mailroom Set-Mailbox`) is seen within this time.
 */
const READ_CACHE_MS = 100;

class ReadCache<T> {
  private readonly entries = new Map<string, { value: T; writes: number; at: number }>();

  constructor(private readonly writes: () => number) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    // Monotonic: with the wall clock stepped back, Date.now() differences go negative and an
    // entry would be reused until the clock caught up, hiding other processes' changes.
    const now = performance.now();
    if (hit && hit.writes === this.writes() && now - hit.at < READ_CACHE_MS) return hit.value;
    const before = this.writes();
    const value = await load();
    // Not kept when a write ran meanwhile: the value may predate it.
    if (this.writes() !== before) return value;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { value, writes: before, at: now });
    return value;
  }
}

export class Directory {
  /** Writes made through this object, so that its read caches never outlive one. */
  private writes = 0;
  /** The directory revision last read here; a new one clears the read caches (see revision()). */
  private seenRevision = -1;
  private readonly mailboxCache = new ReadCache<Mailbox | undefined>(() => this.writes);
  private readonly databaseCache = new ReadCache<MailboxDatabase | undefined>(() => this.writes);

  private constructor(
    readonly db: SqlDatabase,
    /** Seals the secrets kept here with a key kept elsewhere (lib/secrets.ts). */
    readonly secrets: SecretBox,
  ) {}

  /** Opens the directory named by MAILROOM_DIRECTORY, or the SQLite file in the data folder. */
  static async open(): Promise<Directory> {
    const url = directoryUrl();
    if (url && /^postgres(ql)?:\/\//.test(url)) {
      // pg is loaded only for a directory in PostgreSQL: one machine's commands start without it.
      const { PostgresDatabase } = await import('../lib/sql/postgres.ts');
      return Directory.openWith(PostgresDatabase.connect(url));
    }
    if (url) throw new DirectoryError(`MAILROOM_DIRECTORY must be a postgres:// URL (got '${url}')`);
    const folder = dataFolder();
    makePrivateDir(folder);
    return Directory.openWith(new SqliteDatabase(join(folder, 'directory.db')));
  }

  static async openWith(db: SqlDatabase): Promise<Directory> {
    await db.exec(SCHEMA);
    for (const [table, column, definition] of ADDED_COLUMNS) await addColumnIfMissing(db, table, column, definition);
    await db.run(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING`,
      [String(SCHEMA_VERSION)],
    );
    await db.run(`INSERT INTO meta (key, value) VALUES ('revision', '0') ON CONFLICT (key) DO NOTHING`);
    // A service added in a later version (smtp-backend) gets its row, with its initial startup
    // type, on servers set up before it existed; rows already there are left as the admin set them.
    // ("WHERE true": SQLite needs it to tell the upsert clause from a join after SELECT.)
    for (const service of SERVICES) {
      await db.run(
        `INSERT INTO services (server_key, name, startup_type, state) SELECT name_key, ?, ?, NULL FROM servers WHERE true ON CONFLICT (server_key, name) DO NOTHING`,
        [service.name, service.initialStartupType],
      );
    }
    // The key sits beside directory.db (the data folder); a PostgreSQL directory uses this
    // server's data folder, or MAILROOM_SECRETS_KEY, which every server must share.
    const directory = new Directory(db, new SecretBox(db instanceof SqliteDatabase ? dirname(db.path) : dataFolder()));
    await directory.sealPlainCertificateKeys();
    return directory;
  }

  /** Where the directory is, for people (-Verbose): a file, or a PostgreSQL server without its password. */
  describe(): string {
    if (this.db instanceof SqliteDatabase) return this.db.path;
    const url = directoryUrl() ?? '';
    try {
      const u = new URL(url);
      return `postgres://${u.host}${u.pathname}`;
    } catch {
      return 'in PostgreSQL';
    }
  }

  /** Certificates' private keys stored before they were sealed are sealed now, once. */
  private async sealPlainCertificateKeys(): Promise<void> {
    const plain = await this.db.all<{ thumbprint: string; key_pem: string }>(`SELECT thumbprint, key_pem FROM certificates WHERE key_pem NOT LIKE 'mrsec1:%'`);
    for (const row of plain) {
      // Compared with the old value: another process sealing it at the same time wins, once.
      await this.db.run(`UPDATE certificates SET key_pem = ? WHERE thumbprint = ? AND key_pem = ?`, [
        this.secrets.seal(row.key_pem, CERTIFICATE_KEY_PURPOSE), row.thumbprint, row.key_pem,
      ]);
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private readonly createdTables = new Set<string>();

  /**
   * The directory database, with the tables of a module that keeps its own records there (DKIM
   * keys, send connectors, meeting requests) created the first time it asks.
   */
  async tables(schema: string): Promise<SqlDatabase> {
    if (!this.createdTables.has(schema)) {
      await this.db.exec(schema);
      this.createdTables.add(schema);
    }
    return this.db;
  }

  /**
   * A configuration change to a module's own tables (component states, throttling policies):
   * the tables are created on first use, and the revision moves in the same transaction so the
   * running servers apply it within a second.
   */
  async configure<T>(schema: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.tables(schema);
    return this.write(fn);
  }

  /** Every write goes through here so the revision moves in the same transaction. */
  private async write<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.writes++;
    try {
      return await this.db.transaction(async (tx) => {
        const result = await fn(tx);
        await tx.run(`UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'revision'`);
        return result;
      });
    } finally {
      // Again after the commit: a read that started during the write must not be kept.
      this.writes++;
    }
  }

  async revision(): Promise<number> {
    const row = await this.db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'revision'`);
    const revision = Number(row?.value ?? 0);
    // A change by another process: reads cached before it (up to READ_CACHE_MS old) must not
    // answer for what the caller does about the change (Dismount-Database ending sessions).
    if (revision !== this.seenRevision) {
      this.seenRevision = revision;
      this.writes++;
    }
    return revision;
  }

  // ── Organization ─────────────────────────────────────────────────────────────

  async organization(): Promise<Organization | undefined> {
    const row = await this.db.get<{ id: string; name: string; short_domain: string; created_at: string }>(
      `SELECT id, name, short_domain, created_at FROM organization`,
    );
    return row && { id: row.id, name: row.name, shortDomain: row.short_domain, createdAt: row.created_at };
  }

  async requireOrganization(): Promise<Organization> {
    const org = await this.organization();
    if (!org) throw new DirectoryError('No organization here yet: run `mailroom setup` (or `npm start` for the quickstart).');
    return org;
  }

  /**
   * Creates the organization with its first site, server, mailbox database, connectors and
   * services, all with Exchange's defaults. POP3 and IMAP4 stay disabled.
   */
  async createOrganization(input: {
    name: string;
    domain: string;
    shortDomain: string;
    serverName: string;
    fqdn: string;
    site?: string;
  }): Promise<Organization> {
    const org: Organization = { id: randomUUID(), name: input.name, shortDomain: input.shortDomain.toUpperCase(), createdAt: now() };
    const site = input.site ?? 'Default-First-Site-Name';
    await this.write(async (tx) => {
      const existing = await tx.get(`SELECT id FROM organization`);
      if (existing) throw new DirectoryError('An organization already exists in this directory.');
      await tx.run(`INSERT INTO organization (id, name, short_domain, created_at) VALUES (?, ?, ?, ?)`, [
        org.id, org.name, org.shortDomain, org.createdAt,
      ]);
      await tx.run(`INSERT INTO accepted_domains (name_key, name, domain_type, is_default) VALUES (?, ?, 'Authoritative', 1)`, [
        key(input.domain), input.domain.toLowerCase(),
      ]);
      await tx.run(`INSERT INTO sites (name_key, name) VALUES (?, ?)`, [key(site), site]);
      await tx.run(`INSERT INTO settings (scope, name, value) VALUES ('org', 'TransportConfig', ?)`, [
        JSON.stringify(defaultsOf(TRANSPORT_CONFIG, { serverName: input.serverName, fqdn: input.fqdn })),
      ]);
      await tx.run(`INSERT INTO role_groups (name_key, name, description) VALUES (?, ?, ?)`, [
        key('Organization Management'), 'Organization Management',
        'Members administer the whole organization: servers, settings, mailboxes and permissions.',
      ]);
    });
    await this.addServer({ name: input.serverName, fqdn: input.fqdn, site });
    await this.addMailboxDatabase({ name: `Mailbox Database ${input.serverName}`, server: input.serverName });
    return org;
  }

  // ── Accepted domains ─────────────────────────────────────────────────────────

  async acceptedDomains(): Promise<{ name: string; domainType: string; isDefault: boolean }[]> {
    const rows = await this.db.all<{ name: string; domain_type: string; is_default: number }>(
      `SELECT name, domain_type, is_default FROM accepted_domains ORDER BY is_default DESC, name`,
    );
    return rows.map((r) => ({ name: r.name, domainType: r.domain_type, isDefault: r.is_default === 1 }));
  }

  async defaultDomain(): Promise<string> {
    const [first] = await this.acceptedDomains();
    if (!first) throw new DirectoryError('There is no accepted domain.');
    return first.name;
  }

  async addAcceptedDomain(name: string, domainType = 'Authoritative'): Promise<void> {
    await this.write(async (tx) => {
      const exists = await tx.get(`SELECT name FROM accepted_domains WHERE name_key = ?`, [key(name)]);
      if (exists) throw new DirectoryError(`The accepted domain ${name} already exists.`);
      await tx.run(`INSERT INTO accepted_domains (name_key, name, domain_type, is_default) VALUES (?, ?, ?, 0)`, [
        key(name), name.toLowerCase(), domainType,
      ]);
    });
  }

  async isAcceptedDomain(domain: string): Promise<boolean> {
    return (await this.db.get(`SELECT name FROM accepted_domains WHERE name_key = ?`, [key(domain)])) !== undefined;
  }

  // ── Servers, databases, services, connectors ─────────────────────────────────

  async addServer(input: { name: string; fqdn: string; site: string }): Promise<void> {
    const ctx: DefaultsContext = { serverName: input.name, fqdn: input.fqdn };
    await this.write(async (tx) => {
      if (await tx.get(`SELECT name FROM servers WHERE name_key = ?`, [key(input.name)])) {
        throw new DirectoryError(`The server ${input.name} already exists.`);
      }
      await tx.run(`INSERT INTO sites (name_key, name) VALUES (?, ?) ON CONFLICT (name_key) DO NOTHING`, [key(input.site), input.site]);
      await tx.run(`INSERT INTO servers (name_key, name, fqdn, site) VALUES (?, ?, ?, ?)`, [
        key(input.name), input.name, input.fqdn.toLowerCase(), input.site,
      ]);
      const scope = `server:${key(input.name)}`;
      await tx.run(`INSERT INTO settings (scope, name, value) VALUES (?, 'PopSettings', ?)`, [scope, JSON.stringify(defaultsOf(POP_SETTINGS, ctx))]);
      await tx.run(`INSERT INTO settings (scope, name, value) VALUES (?, 'ImapSettings', ?)`, [scope, JSON.stringify(defaultsOf(IMAP_SETTINGS, ctx))]);
      for (const service of SERVICES) {
        await tx.run(`INSERT INTO services (server_key, name, startup_type, state) VALUES (?, ?, ?, NULL)`, [
          key(input.name), service.name, service.initialStartupType,
        ]);
      }
      for (const template of DEFAULT_CONNECTORS) {
        const name = template.name(input.name);
        await tx.run(`INSERT INTO receive_connectors (identity_key, server, name, value) VALUES (?, ?, ?, ?)`, [
          key(`${input.name}\\${name}`), input.name, name, JSON.stringify(connectorDefaults(template, ctx)),
        ]);
      }
    });
  }

  async servers(): Promise<Server[]> {
    const rows = await this.db.all<{ name: string; fqdn: string; site: string; heartbeat_at: number | null; status: string | null }>(
      `SELECT name, fqdn, site, heartbeat_at, status FROM servers ORDER BY name`,
    );
    return rows.map((r) => ({
      name: r.name, fqdn: r.fqdn, site: r.site,
      heartbeatAt: r.heartbeat_at === null ? null : Number(r.heartbeat_at),
      status: r.status ? (JSON.parse(r.status) as Record<string, string>) : null,
    }));
  }

  /** The server this process was told it is (`mailroom start --server`), for server() without a name. */
  private identity: string | undefined;

  /** `mailroom start --server NAME`: this process is that server, whatever MAILROOM_SERVER or the host name say. */
  async identifyAs(name: string): Promise<Server> {
    const server = chooseServer(await this.servers(), { flag: name }).server;
    this.identity = server.name;
    return server;
  }

  /**
   * The server this process is (src/directory/server-identity.ts): --server, MAILROOM_SERVER,
   * the host name, or the organization's only server; refused when that is ambiguous.
   */
  async localServer(): Promise<Server> {
    const all = await this.servers();
    if (all.length === 0) throw new DirectoryError('No organization here yet: run `mailroom setup` first.');
    return chooseServer(all, { flag: this.identity, environment: serverFromEnvironment(), host: hostname() }).server;
  }

  /** A server by name or FQDN; without a name, this process's own (localServer). */
  async server(name?: string): Promise<Server> {
    if (name === undefined) return this.localServer();
    const all = await this.servers();
    if (all.length === 0) throw new DirectoryError('No organization here yet: run `mailroom setup` first.');
    const found = all.find((s) => key(s.name) === key(name) || key(s.fqdn) === key(name));
    if (!found) throw new DirectoryError(`-Server: there is no server '${name}' (servers: ${all.map((s) => s.name).join(', ')}).`);
    return found;
  }

  /**
   * A running server reports which of its services run and what they listen on. `owned` names
   * the services this process runs when it is one of several processes of the server (a
   * front-end and a back-end process, `start --role` or `--split`): only their entries are
   * replaced, so the processes do not overwrite each other's. Without it the whole status is.
   */
  async reportServerStatus(serverName: string, status: Record<string, string>, owned?: readonly string[]): Promise<void> {
    // Not a configuration change, so the revision stays where it is.
    if (!owned) {
      await this.db.run(`UPDATE servers SET heartbeat_at = ?, status = ? WHERE name_key = ?`, [
        Date.now(), JSON.stringify(status), key(serverName),
      ]);
      return;
    }
    await this.db.transaction(async (tx) => {
      // Row-locked on PostgreSQL; SQLite's write transaction already serializes the two writers.
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
      const row = await tx.get<{ status: string | null }>(`SELECT status FROM servers WHERE name_key = ?${lock}`, [key(serverName)]);
      const merged: Record<string, string> = {};
      for (const [name, where] of Object.entries(row?.status ? (JSON.parse(row.status) as Record<string, string>) : {})) {
        if (!owned.includes(name)) merged[name] = where;
      }
      Object.assign(merged, status);
      await tx.run(`UPDATE servers SET heartbeat_at = ?, status = ? WHERE name_key = ?`, [Date.now(), JSON.stringify(merged), key(serverName)]);
    });
  }

  /**
   * New-MailboxDatabase (dismounted until Mount-Database, as in Exchange) and setup (mounted): a
   * database of a server with Exchange's defaults.
   */
  async addMailboxDatabase(input: { name: string; server: string; mounted?: boolean }): Promise<MailboxDatabase> {
    const name = input.name.trim();
    if (name === '' || /[\\/:*?"<>|]/.test(name) || name.length > 64) {
      throw new DirectoryError(`-Name must be 1–64 characters without \\ / : * ? " < > | (got '${input.name}').`);
    }
    const server = await this.server(input.server);
    const ctx: DefaultsContext = { serverName: server.name, fqdn: '' };
    await this.write(async (tx) => {
      if (await tx.get(`SELECT name FROM mailbox_databases WHERE name_key = ?`, [key(name)])) {
        throw new DirectoryError(`The mailbox database '${name}' already exists.`);
      }
      await tx.run(`INSERT INTO mailbox_databases (name_key, name, server, engine, settings, mounted) VALUES (?, ?, ?, 'sqlite', ?, ?)`, [
        key(name), name, server.name, JSON.stringify(defaultsOf(DATABASE_SETTINGS, ctx)), input.mounted === false ? 0 : 1,
      ]);
    });
    return this.mailboxDatabase(name);
  }

  /** Mount-Database / Dismount-Database: the server that has the database opens or closes it within a second. */
  async setDatabaseMounted(name: string, mounted: boolean): Promise<MailboxDatabase> {
    const db = await this.mailboxDatabase(name);
    await this.write((tx) => tx.run(`UPDATE mailbox_databases SET mounted = ? WHERE name_key = ?`, [mounted ? 1 : 0, key(db.name)]));
    return { ...db, mounted };
  }

  /** Remove-MailboxDatabase: refused while mailboxes are in it, as Exchange refuses. Its files stay where they are. */
  async removeMailboxDatabase(name: string): Promise<MailboxDatabase> {
    const db = await this.mailboxDatabase(name);
    await this.write(async (tx) => {
      const inside = await tx.all<{ name: string }>(`SELECT name FROM mailboxes WHERE database_name = ? ORDER BY name`, [db.name]);
      if (inside.length > 0) {
        const shown = inside.slice(0, 5).map((m) => m.name).join(', ') + (inside.length > 5 ? `, … (${inside.length} in all)` : '');
        throw new DirectoryError(
          `The mailbox database '${db.name}' contains mailboxes (${shown}). Move them to another database or remove them (Remove-Mailbox) first.`,
        );
      }
      await tx.run(`DELETE FROM mailbox_databases WHERE name_key = ?`, [key(db.name)]);
    });
    return db;
  }

  /** Sites: Get-AdSite. Each with the servers placed in it. */
  async sites(): Promise<{ name: string; servers: string[] }[]> {
    const rows = await this.db.all<{ name: string }>(`SELECT name FROM sites ORDER BY name`);
    const servers = await this.servers();
    return rows.map((r) => ({ name: r.name, servers: servers.filter((s) => key(s.site) === key(r.name)).map((s) => s.name) }));
  }

  /** New-AdSite. */
  async addSite(name: string): Promise<void> {
    const trimmed = name.trim();
    if (trimmed === '' || /[\s\\/:*?"<>|,.]/.test(trimmed) || trimmed.length > 63) {
      throw new DirectoryError(`-Name must be 1–63 characters without spaces or \\ / : * ? " < > | , . (got '${name}').`);
    }
    await this.write(async (tx) => {
      if (await tx.get(`SELECT name FROM sites WHERE name_key = ?`, [key(trimmed)])) throw new DirectoryError(`The site '${trimmed}' already exists.`);
      await tx.run(`INSERT INTO sites (name_key, name) VALUES (?, ?)`, [key(trimmed), trimmed]);
    });
  }

  /** Set-ExchangeServer -Site: places a server in an existing site. */
  async setServerSite(serverName: string, site: string): Promise<Server> {
    const server = await this.server(serverName);
    await this.write(async (tx) => {
      const row = await tx.get<{ name: string }>(`SELECT name FROM sites WHERE name_key = ?`, [key(site)]);
      if (!row) throw new DirectoryError(`-Site: there is no site '${site}'. Get-AdSite lists them; New-AdSite adds one.`);
      await tx.run(`UPDATE servers SET site = ? WHERE name_key = ?`, [row.name, key(server.name)]);
    });
    return this.server(server.name);
  }

  async mailboxDatabases(): Promise<MailboxDatabase[]> {
    const rows = await this.db.all<DatabaseRow>(`SELECT name, server, engine, mounted, settings FROM mailbox_databases ORDER BY name`);
    return rows.map(toMailboxDatabase);
  }

  async mailboxDatabase(name?: string): Promise<MailboxDatabase> {
    // By name it is one indexed row: delivery asks for it several times per message.
    if (name !== undefined) {
      const found = await this.databaseCache.get(key(name), async () => {
        const row = await this.db.get<DatabaseRow>(`SELECT name, server, engine, mounted, settings FROM mailbox_databases WHERE name_key = ?`, [key(name)]);
        return row && toMailboxDatabase(row);
      });
      if (found) return found;
    }
    const all = await this.mailboxDatabases();
    const found = name === undefined ? all[0] : undefined;
    if (!found) {
      throw new DirectoryError(`-Database: there is no mailbox database '${name ?? ''}' (databases: ${all.map((d) => d.name).join(', ') || 'none'}).`);
    }
    return found;
  }

  async updateMailboxDatabase(name: string, changes: Record<string, unknown>): Promise<MailboxDatabase> {
    const db = await this.mailboxDatabase(name);
    const next = applySettings(DATABASE_SETTINGS, db.settings, changes);
    await this.write((tx) => tx.run(`UPDATE mailbox_databases SET settings = ? WHERE name_key = ?`, [JSON.stringify(next), key(db.name)]));
    return { ...db, settings: next };
  }

  async services(serverName: string): Promise<ServiceRecord[]> {
    const server = await this.server(serverName);
    const rows = await this.db.all<{ name: string; startup_type: string; state: string | null; restart_serial: number | string }>(
      `SELECT name, startup_type, state, restart_serial FROM services WHERE server_key = ?`,
      [key(server.name)],
    );
    const order = SERVICES.map((s) => s.name as string);
    return rows
      .map((r) => ({
        server: server.name, name: r.name as ServiceName, startupType: r.startup_type as StartupType, explicit: r.state as ExplicitState,
        restartSerial: Number(r.restart_serial),
      }))
      .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }

  async setServiceStartupType(serverName: string, service: ServiceName, startupType: StartupType): Promise<void> {
    await this.write((tx) =>
      tx.run(`UPDATE services SET startup_type = ?, state = NULL WHERE server_key = ? AND name = ?`, [startupType, key(serverName), service]),
    );
  }

  async setServiceState(serverName: string, service: ServiceName, state: 'started' | 'stopped'): Promise<void> {
    await this.write(async (tx) => {
      const row = await tx.get<{ startup_type: string }>(`SELECT startup_type FROM services WHERE server_key = ? AND name = ?`, [key(serverName), service]);
      if (!row) throw new DirectoryError(`There is no service ${service} on ${serverName}.`);
      if (state === 'started' && row.startup_type === 'Disabled') {
        throw new DirectoryError(
          `Service '${service}' cannot be started because it is disabled. Run: mailroom Set-Service ${service} -StartupType Automatic`,
        );
      }
      await tx.run(`UPDATE services SET state = ? WHERE server_key = ? AND name = ?`, [state, key(serverName), service]);
    });
  }

  /**
   * Restart-Service: a running server stops the service and starts it again; a stopped one is
   * started (as Windows' Restart-Service does). A disabled service is refused.
   */
  async restartService(serverName: string, service: ServiceName): Promise<void> {
    await this.write(async (tx) => {
      const row = await tx.get<{ startup_type: string }>(`SELECT startup_type FROM services WHERE server_key = ? AND name = ?`, [key(serverName), service]);
      if (!row) throw new DirectoryError(`There is no service ${service} on ${serverName}.`);
      if (row.startup_type === 'Disabled') {
        throw new DirectoryError(
          `Service '${service}' cannot be restarted because it is disabled. Run: mailroom Set-Service ${service} -StartupType Automatic`,
        );
      }
      await tx.run(`UPDATE services SET state = 'started', restart_serial = restart_serial + 1 WHERE server_key = ? AND name = ?`, [key(serverName), service]);
    });
  }

  // ── Settings documents ───────────────────────────────────────────────────────

  private static settingsDefs(name: string): readonly SettingDef[] {
    switch (name) {
      case 'PopSettings': return POP_SETTINGS;
      case 'ImapSettings': return IMAP_SETTINGS;
      case 'TransportConfig': return TRANSPORT_CONFIG;
      case 'WebSettings': return WEB_SETTINGS;
      case 'TransportService': return TRANSPORT_SERVICE_SETTINGS;
      case 'OrganizationConfig': return ORGANIZATION_CONFIG;
      case 'OwaVirtualDirectory': return OWA_VIRTUAL_DIRECTORY;
      default: throw new DirectoryError(`Unknown settings object ${name}`);
    }
  }

  private async serverContext(scope: string): Promise<DefaultsContext> {
    if (!scope.startsWith('server:')) return { serverName: '', fqdn: '' };
    const s = await this.server(scope.slice('server:'.length));
    return { serverName: s.name, fqdn: s.fqdn };
  }

  private scopeOf(name: string, serverName?: string): Promise<string> | string {
    if (name === 'TransportConfig' || name === 'OrganizationConfig') return 'org';
    return this.server(serverName).then((s) => `server:${key(s.name)}`);
  }

  async settings(name: SettingsName, serverName?: string): Promise<SettingsDocument> {
    const scope = await this.scopeOf(name, serverName);
    const row = await this.db.get<{ value: string }>(`SELECT value FROM settings WHERE scope = ? AND name = ?`, [scope, name]);
    if (!row && ADDED_LATER.has(name)) return completeDocument(Directory.settingsDefs(name), {}, await this.serverContext(scope));
    if (!row) throw new DirectoryError(`No ${name} for ${scope}: run \`mailroom setup\` first.`);
    return completeDocument(Directory.settingsDefs(name), JSON.parse(row.value), await this.serverContext(scope));
  }

  /** Applies a Set-* change; validates values and cross-parameter rules before anything is stored. */
  async updateSettings(
    name: SettingsName,
    changes: Record<string, unknown>,
    serverName?: string,
  ): Promise<SettingsDocument> {
    const scope = await this.scopeOf(name, serverName);
    const ctx = await this.serverContext(scope);
    return this.write(async (tx) => {
      const row = await tx.get<{ value: string }>(`SELECT value FROM settings WHERE scope = ? AND name = ?`, [scope, name]);
      if (!row && !ADDED_LATER.has(name)) throw new DirectoryError(`No ${name} for ${scope}.`);
      const defs = Directory.settingsDefs(name);
      const next = applySettings(defs, completeDocument(defs, row ? JSON.parse(row.value) : {}, ctx), changes);
      if (name === 'PopSettings' || name === 'ImapSettings') checkProtocolSettings(next);
      if (name === 'TransportService') checkTransportService(next);
      await tx.run(
        `INSERT INTO settings (scope, name, value) VALUES (?, ?, ?) ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value`,
        [scope, name, JSON.stringify(next)],
      );
      return next;
    });
  }

  async receiveConnectors(serverName?: string): Promise<ReceiveConnector[]> {
    const rows = await this.db.all<{ server: string; name: string; value: string }>(
      `SELECT server, name, value FROM receive_connectors ORDER BY server, name`,
    );
    const servers = await this.servers();
    return rows
      .filter((r) => serverName === undefined || key(r.server) === key(serverName))
      .map((r) => {
        const s = servers.find((x) => key(x.name) === key(r.server));
        return {
          identity: `${r.server}\\${r.name}`, server: r.server, name: r.name,
          settings: completeDocument(RECEIVE_CONNECTOR_SETTINGS, JSON.parse(r.value), { serverName: r.server, fqdn: s?.fqdn ?? '' }),
        };
      });
  }

  /** Identity is `SERVER\Name` or just `Name`, as in Exchange. */
  async receiveConnector(identity: string): Promise<ReceiveConnector> {
    const all = await this.receiveConnectors();
    const found = all.filter((c) => key(c.identity) === key(identity) || key(c.name) === key(identity));
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new DirectoryError(`'${identity}' matches several connectors: ${found.map((c) => c.identity).join(', ')}. Use SERVER\\Name.`);
    throw new DirectoryError(`There is no receive connector '${identity}' (connectors: ${all.map((c) => `"${c.identity}"`).join(', ')}).`);
  }

  /** New-ReceiveConnector: a connector of the server with Exchange's defaults and `changes`. */
  async newReceiveConnector(serverName: string | undefined, name: string, changes: Record<string, unknown>): Promise<ReceiveConnector> {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.includes('\\')) throw new DirectoryError(`-Name must be a name without '\\' (got '${name}').`);
    const server = await this.server(serverName);
    const settings = applySettings(RECEIVE_CONNECTOR_SETTINGS, defaultsOf(RECEIVE_CONNECTOR_SETTINGS, { serverName: server.name, fqdn: server.fqdn }), changes);
    await this.write(async (tx) => {
      if (await tx.get(`SELECT name FROM receive_connectors WHERE identity_key = ?`, [key(`${server.name}\\${trimmed}`)])) {
        throw new DirectoryError(`The receive connector '${server.name}\\${trimmed}' already exists.`);
      }
      await tx.run(`INSERT INTO receive_connectors (identity_key, server, name, value) VALUES (?, ?, ?, ?)`, [
        key(`${server.name}\\${trimmed}`), server.name, trimmed, JSON.stringify(settings),
      ]);
    });
    return { identity: `${server.name}\\${trimmed}`, server: server.name, name: trimmed, settings };
  }

  async updateReceiveConnector(identity: string, changes: Record<string, unknown>): Promise<ReceiveConnector> {
    const connector = await this.receiveConnector(identity);
    const next = applySettings(RECEIVE_CONNECTOR_SETTINGS, connector.settings, changes);
    await this.write((tx) =>
      tx.run(`UPDATE receive_connectors SET value = ? WHERE identity_key = ?`, [JSON.stringify(next), key(connector.identity)]),
    );
    return { ...connector, settings: next };
  }

  /** Remove-ReceiveConnector: the SMTP service closes its bindings with the next snapshot. */
  async removeReceiveConnector(identity: string): Promise<ReceiveConnector> {
    const connector = await this.receiveConnector(identity);
    await this.write((tx) => tx.run(`DELETE FROM receive_connectors WHERE identity_key = ?`, [key(connector.identity)]));
    return connector;
  }

  // ── Mailboxes ────────────────────────────────────────────────────────────────

  private async addressesOf(ids: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (ids.length === 0) return map;
    const rows = await this.db.all<{ mailbox_id: string; address: string }>(
      `SELECT mailbox_id, address FROM addresses WHERE mailbox_id IN (${ids.map(() => '?').join(',')}) ORDER BY address`,
      ids,
    );
    for (const r of rows) map.set(r.mailbox_id, [...(map.get(r.mailbox_id) ?? []), r.address]);
    return map;
  }

  private toMailbox(row: MailboxRow, addresses: string[]): Mailbox {
    const primary = row.primary_smtp;
    return {
      id: row.id, name: row.name, alias: row.alias, userPrincipalName: row.upn, primarySmtpAddress: primary,
      emailAddresses: [primary, ...addresses.filter((a) => key(a) !== key(primary))],
      type: row.type as MailboxType, database: row.database_name,
      builtin: row.builtin as BuiltinAccount | null, accountDisabled: row.account_disabled === 1,
      hasPassword: row.password_hash !== null,
      credentialSerial: Number(row.credential_serial),
      settings: completeDocument(ALL_MAILBOX_SETTINGS, JSON.parse(row.settings), { serverName: '', fqdn: '' }),
      createdAt: row.created_at,
    };
  }

  private static readonly MAILBOX_COLUMNS =
    'id, name, alias, upn, primary_smtp, type, database_name, builtin, account_disabled, password_hash, settings, created_at, credential_serial';

  async mailboxes(): Promise<Mailbox[]> {
    const rows = await this.db.all<MailboxRow>(`SELECT ${Directory.MAILBOX_COLUMNS} FROM mailboxes ORDER BY name`);
    const addresses = await this.addressesOf(rows.map((r) => r.id));
    return rows.map((r) => this.toMailbox(r, addresses.get(r.id) ?? []));
  }

  async mailboxById(id: string): Promise<Mailbox | undefined> {
    return this.mailboxCache.get(id, async () => {
      const row = await this.db.get<MailboxRow>(`SELECT ${Directory.MAILBOX_COLUMNS} FROM mailboxes WHERE id = ?`, [id]);
      if (!row) return undefined;
      return this.toMailbox(row, (await this.addressesOf([row.id])).get(row.id) ?? []);
    });
  }

  /** The mailbox that owns an SMTP address (primary or alias), for delivery and logon. */
  async mailboxByAddress(address: string): Promise<Mailbox | undefined> {
    const row = await this.db.get<{ mailbox_id: string }>(`SELECT mailbox_id FROM addresses WHERE address_key = ?`, [key(address)]);
    return row ? this.mailboxById(row.mailbox_id) : undefined;
  }

  /**
   * Finds a mailbox the way Exchange's -Identity does: name, alias, UPN, any email address,
   * DOMAIN\alias, or id.
   */
  async findMailbox(identity: string): Promise<Mailbox | undefined> {
    let k = key(identity);
    const org = await this.organization();
    const slash = k.indexOf('\\');
    if (slash > 0 && org && k.slice(0, slash) === key(org.shortDomain)) k = k.slice(slash + 1);
    const row = await this.db.get<{ id: string }>(
      `SELECT id FROM mailboxes WHERE id = ? OR name_key = ? OR alias_key = ? OR upn_key = ?`,
      [identity, k, k, k],
    );
    if (row) return this.mailboxById(row.id);
    return this.mailboxByAddress(k);
  }

  async requireMailbox(identity: string): Promise<Mailbox> {
    const m = await this.findMailbox(identity);
    if (!m) throw new DirectoryError(`The mailbox '${identity}' was not found. Get-Mailbox lists the mailboxes.`);
    return m;
  }

  async createMailbox(input: {
    name: string;
    alias?: string;
    userPrincipalName?: string;
    primarySmtpAddress?: string;
    type?: MailboxType;
    database?: string;
    builtin?: BuiltinAccount;
    credentials?: Credentials;
    settings?: Record<string, unknown>;
  }): Promise<Mailbox> {
    const org = await this.requireOrganization();
    const domain = await this.defaultDomain();
    const alias = input.alias ?? deriveAlias(input.name);
    const checkAlias = validAlias(alias);
    if (checkAlias) throw new DirectoryError(`-Alias ${checkAlias}`);
    const upn = input.userPrincipalName ?? `${alias}@${domain}`;
    const primary = input.primarySmtpAddress ?? upn;
    for (const [param, address] of [['UserPrincipalName', upn], ['PrimarySmtpAddress', primary]] as const) {
      if (!isEmailAddress(address)) throw new DirectoryError(`-${param} must look like user@domain (got '${address}').`);
    }
    if (!(await this.isAcceptedDomain(primary.split('@')[1]!))) {
      throw new DirectoryError(`-PrimarySmtpAddress: ${primary.split('@')[1]} is not an accepted domain. Add it with New-AcceptedDomain first.`);
    }
    // Left out: the first mounted database (Exchange's automatic distribution skips dismounted ones too).
    const database = input.database !== undefined
      ? await this.mailboxDatabase(input.database)
      : (await this.mailboxDatabases()).find((d) => d.mounted) ?? await this.mailboxDatabase();
    const type = input.type ?? 'user';
    const settings = applySettings(
      ALL_MAILBOX_SETTINGS,
      { ...defaultsOf(ALL_MAILBOX_SETTINGS, { serverName: '', fqdn: '' }), DisplayName: input.name },
      input.settings ?? {},
    );
    const id = randomUUID();
    await this.write(async (tx) => {
      for (const [param, column, value] of [['Name', 'name_key', input.name], ['Alias', 'alias_key', alias], ['UserPrincipalName', 'upn_key', upn]] as const) {
        if (await tx.get(`SELECT id FROM mailboxes WHERE ${column} = ?`, [key(value)])) {
          throw new DirectoryError(`-${param}: '${value}' is already used by another mailbox.`);
        }
      }
      if (await tx.get(`SELECT mailbox_id FROM addresses WHERE address_key = ?`, [key(primary)])) {
        throw new DirectoryError(`-PrimarySmtpAddress: ${primary} is already used by another mailbox.`);
      }
      await tx.run(
        `INSERT INTO mailboxes (id, name, name_key, alias, alias_key, upn, upn_key, primary_smtp, type, database_name, password_hash, scram, builtin, account_disabled, settings, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id, input.name, key(input.name), alias, key(alias), upn, key(upn), primary, type, database.name,
          input.credentials?.passwordHash ?? null, input.credentials?.scram ?? null, input.builtin ?? null,
          // Shared and system mailboxes have a disabled account: they are opened through FullAccess.
          type === 'user' ? 0 : 1, JSON.stringify(settings), now(),
        ],
      );
      await tx.run(`INSERT INTO addresses (address_key, address, mailbox_id) VALUES (?, ?, ?)`, [key(primary), primary, id]);
      if (key(upn) !== key(primary) && (await this.isAcceptedDomainTx(tx, upn.split('@')[1]!))) {
        await tx.run(`INSERT INTO addresses (address_key, address, mailbox_id) VALUES (?, ?, ?) ON CONFLICT (address_key) DO NOTHING`, [key(upn), upn, id]);
      }
    });
    void org;
    return (await this.mailboxById(id))!;
  }

  private async isAcceptedDomainTx(tx: SqlExecutor, domain: string): Promise<boolean> {
    return (await tx.get(`SELECT name FROM accepted_domains WHERE name_key = ?`, [key(domain)])) !== undefined;
  }

  async updateMailbox(
    identity: string,
    changes: {
      settings?: Record<string, unknown>;
      addAddresses?: string[];
      removeAddresses?: string[];
      primarySmtpAddress?: string;
      credentials?: Credentials;
      accountDisabled?: boolean;
    },
  ): Promise<Mailbox> {
    const mailbox = await this.requireMailbox(identity);
    const settings = changes.settings ? applySettings(ALL_MAILBOX_SETTINGS, mailbox.settings, changes.settings) : mailbox.settings;
    for (const a of [...(changes.addAddresses ?? []), ...(changes.primarySmtpAddress ? [changes.primarySmtpAddress] : [])]) {
      if (!isEmailAddress(a)) throw new DirectoryError(`-EmailAddresses entries must look like user@domain (got '${a}').`);
      if (!(await this.isAcceptedDomain(a.split('@')[1]!))) {
        throw new DirectoryError(`-EmailAddresses: ${a.split('@')[1]} is not an accepted domain. Add it with New-AcceptedDomain first.`);
      }
    }
    await this.write(async (tx) => {
      await tx.run(`UPDATE mailboxes SET settings = ? WHERE id = ?`, [JSON.stringify(settings), mailbox.id]);
      for (const a of [...(changes.addAddresses ?? []), ...(changes.primarySmtpAddress ? [changes.primarySmtpAddress] : [])]) {
        const owner = await tx.get<{ mailbox_id: string }>(`SELECT mailbox_id FROM addresses WHERE address_key = ?`, [key(a)]);
        if (owner && owner.mailbox_id !== mailbox.id) throw new DirectoryError(`-EmailAddresses: ${a} is already used by another mailbox.`);
        if (!owner) await tx.run(`INSERT INTO addresses (address_key, address, mailbox_id) VALUES (?, ?, ?)`, [key(a), a, mailbox.id]);
      }
      if (changes.primarySmtpAddress) {
        await tx.run(`UPDATE mailboxes SET primary_smtp = ? WHERE id = ?`, [changes.primarySmtpAddress, mailbox.id]);
      }
      const primary = changes.primarySmtpAddress ?? mailbox.primarySmtpAddress;
      for (const a of changes.removeAddresses ?? []) {
        if (key(a) === key(primary)) throw new DirectoryError(`-EmailAddresses: cannot remove the primary address ${a}; set another -PrimarySmtpAddress first.`);
        await tx.run(`DELETE FROM addresses WHERE address_key = ? AND mailbox_id = ?`, [key(a), mailbox.id]);
      }
      if (changes.credentials) {
        await tx.run(`UPDATE mailboxes SET password_hash = ?, scram = ?, credential_serial = credential_serial + 1 WHERE id = ?`, [
          changes.credentials.passwordHash, changes.credentials.scram, mailbox.id,
        ]);
      }
      if (changes.accountDisabled !== undefined) {
        await tx.run(`UPDATE mailboxes SET account_disabled = ? WHERE id = ?`, [changes.accountDisabled ? 1 : 0, mailbox.id]);
      }
    });
    return (await this.mailboxById(mailbox.id))!;
  }

  async removeMailbox(identity: string): Promise<Mailbox> {
    const mailbox = await this.requireMailbox(identity);
    if (mailbox.builtin === 'Administrator') {
      throw new DirectoryError('The built-in Administrator mailbox cannot be removed.');
    }
    await this.write((tx) => tx.run(`DELETE FROM mailboxes WHERE id = ?`, [mailbox.id]));
    return mailbox;
  }

  /** Password hash and SCRAM keys, read only by the authentication module. */
  async credentials(mailboxId: string): Promise<Credentials | undefined> {
    const row = await this.db.get<{ password_hash: string | null; scram: string | null }>(
      `SELECT password_hash, scram FROM mailboxes WHERE id = ?`,
      [mailboxId],
    );
    return row && { passwordHash: row.password_hash, scram: row.scram };
  }

  /**
   * Stores credentials redone at a new cost for the same password, unless the password changed
   * since `previousHash` was read. Not a password change and not a configuration change: the
   * revision stays, and sessions logged on with the password go on. True when stored.
   */
  async replaceCredentials(mailboxId: string, previousHash: string, next: { passwordHash: string; scram: string }): Promise<boolean> {
    const result = await this.db.run(
      `UPDATE mailboxes SET password_hash = ?, scram = ? WHERE id = ? AND password_hash = ?`,
      [next.passwordHash, next.scram, mailboxId, previousHash],
    );
    return result.changes > 0;
  }

  /**
   * What running sessions of these users were allowed on: each user's credential serial and
   * whether the account is disabled (a removed user is missing), and the FullAccess grants they
   * hold (`mailbox id|user id`). Read fresh, for the sessions' check after each change.
   */
  async logonStates(userIds: readonly string[]): Promise<{ users: Map<string, { credentialSerial: number; accountDisabled: boolean }>; fullAccess: Set<string> }> {
    const users = new Map<string, { credentialSerial: number; accountDisabled: boolean }>();
    const fullAccess = new Set<string>();
    const ids = [...new Set(userIds)];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => '?').join(',');
      const rows = await this.db.all<{ id: string; credential_serial: number | string; account_disabled: number | string }>(
        `SELECT id, credential_serial, account_disabled FROM mailboxes WHERE id IN (${marks})`, chunk,
      );
      for (const r of rows) users.set(r.id, { credentialSerial: Number(r.credential_serial), accountDisabled: Number(r.account_disabled) === 1 });
      const grants = await this.db.all<{ mailbox_id: string; user_id: string }>(
        `SELECT mailbox_id, user_id FROM mailbox_permissions WHERE right_name = 'FullAccess' AND user_id IN (${marks})`, chunk,
      );
      for (const g of grants) fullAccess.add(`${g.mailbox_id}|${g.user_id}`);
    }
    return { users, fullAccess };
  }

  // ── Permissions and role groups ──────────────────────────────────────────────

  async addMailboxPermission(mailboxIdentity: string, userIdentity: string, right: MailboxRight): Promise<void> {
    const mailbox = await this.requireMailbox(mailboxIdentity);
    const user = await this.requireMailbox(userIdentity);
    await this.write((tx) =>
      tx.run(
        `INSERT INTO mailbox_permissions (mailbox_id, user_id, right_name) VALUES (?, ?, ?) ON CONFLICT (mailbox_id, user_id, right_name) DO NOTHING`,
        [mailbox.id, user.id, right],
      ),
    );
  }

  async removeMailboxPermission(mailboxIdentity: string, userIdentity: string, right: MailboxRight): Promise<void> {
    const mailbox = await this.requireMailbox(mailboxIdentity);
    const user = await this.requireMailbox(userIdentity);
    await this.write((tx) =>
      tx.run(`DELETE FROM mailbox_permissions WHERE mailbox_id = ? AND user_id = ? AND right_name = ?`, [mailbox.id, user.id, right]),
    );
  }

  async hasMailboxPermission(mailboxId: string, userId: string, right: MailboxRight): Promise<boolean> {
    const row = await this.db.get(
      `SELECT right_name FROM mailbox_permissions WHERE mailbox_id = ? AND user_id = ? AND right_name = ?`,
      [mailboxId, userId, right],
    );
    return row !== undefined;
  }

  /** Mailboxes on which a user holds a right (the shared mailboxes it may open). */
  async mailboxesGrantedTo(userId: string, right: MailboxRight): Promise<Mailbox[]> {
    const rows = await this.db.all<{ mailbox_id: string }>(
      `SELECT mailbox_id FROM mailbox_permissions WHERE user_id = ? AND right_name = ? ORDER BY mailbox_id`,
      [userId, right],
    );
    const out: Mailbox[] = [];
    for (const r of rows) {
      const m = await this.mailboxById(r.mailbox_id);
      if (m) out.push(m);
    }
    return out;
  }

  async mailboxPermissions(mailboxIdentity: string): Promise<{ user: string; right: MailboxRight }[]> {
    const mailbox = await this.requireMailbox(mailboxIdentity);
    const rows = await this.db.all<{ name: string; right_name: string }>(
      `SELECT m.name, p.right_name FROM mailbox_permissions p JOIN mailboxes m ON m.id = p.user_id WHERE p.mailbox_id = ? ORDER BY m.name, p.right_name`,
      [mailbox.id],
    );
    return rows.map((r) => ({ user: r.name, right: r.right_name as MailboxRight }));
  }

  async roleGroups(): Promise<{ name: string; description: string; members: string[] }[]> {
    const groups = await this.db.all<{ name_key: string; name: string; description: string }>(
      `SELECT name_key, name, description FROM role_groups ORDER BY name`,
    );
    const members = await this.db.all<{ group_key: string; name: string }>(
      `SELECT g.group_key, m.name FROM role_group_members g JOIN mailboxes m ON m.id = g.mailbox_id ORDER BY m.name`,
    );
    return groups.map((g) => ({
      name: g.name, description: g.description,
      members: members.filter((m) => m.group_key === g.name_key).map((m) => m.name),
    }));
  }

  async addRoleGroupMember(group: string, memberIdentity: string): Promise<void> {
    const member = await this.requireMailbox(memberIdentity);
    await this.write(async (tx) => {
      if (!(await tx.get(`SELECT name FROM role_groups WHERE name_key = ?`, [key(group)]))) {
        throw new DirectoryError(`There is no role group '${group}'. Get-RoleGroup lists them.`);
      }
      await tx.run(
        `INSERT INTO role_group_members (group_key, mailbox_id) VALUES (?, ?) ON CONFLICT (group_key, mailbox_id) DO NOTHING`,
        [key(group), member.id],
      );
    });
  }

  async isRoleGroupMember(group: string, mailboxId: string): Promise<boolean> {
    return (await this.db.get(`SELECT mailbox_id FROM role_group_members WHERE group_key = ? AND mailbox_id = ?`, [key(group), mailboxId])) !== undefined;
  }

  // ── Certificates ─────────────────────────────────────────────────────────────

  /**
   * Stores a certificate. Services it comes with are assigned as Enable-ExchangeCertificate
   * assigns them: IIS, POP and IMAP are taken from the server's other certificates.
   */
  async addCertificate(cert: Certificate): Promise<void> {
    await this.write(async (tx) => {
      await tx.run(
        `INSERT INTO certificates (thumbprint, server_key, subject, issuer, names, not_before, not_after, services, self_signed, cert_pem, key_pem)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thumbprint) DO NOTHING`,
        [
          cert.thumbprint, key(cert.server), cert.subject, cert.issuer, JSON.stringify(cert.names), cert.notBefore,
          cert.notAfter, JSON.stringify([]), cert.selfSigned ? 1 : 0, cert.certPem, this.secrets.seal(cert.keyPem, CERTIFICATE_KEY_PURPOSE),
        ],
      );
      await this.assignServices(tx, cert.thumbprint, cert.services);
    });
  }

  async certificates(serverName?: string): Promise<Certificate[]> {
    const rows = await this.db.all<Record<string, string | number>>(
      `SELECT thumbprint, server_key, subject, issuer, names, not_before, not_after, services, self_signed, cert_pem, key_pem FROM certificates ORDER BY not_before`,
    );
    const servers = await this.servers();
    return rows
      .filter((r) => serverName === undefined || r.server_key === key(serverName))
      .map((r) => ({
        thumbprint: String(r.thumbprint),
        server: servers.find((s) => key(s.name) === r.server_key)?.name ?? String(r.server_key),
        subject: String(r.subject), issuer: String(r.issuer), names: JSON.parse(String(r.names)) as string[],
        notBefore: String(r.not_before), notAfter: String(r.not_after), services: JSON.parse(String(r.services)) as string[],
        selfSigned: Number(r.self_signed) === 1, certPem: String(r.cert_pem), keyPem: this.secrets.open(String(r.key_pem), CERTIFICATE_KEY_PURPOSE),
      }));
  }

  /**
   * Assigns services to a certificate (Enable-ExchangeCertificate), added to what it had. As in
   * Exchange, IIS, POP and IMAP have one certificate per server: the certificate that had them
   * loses them. SMTP may have several (a connector picks by its FQDN).
   */
  async enableCertificate(thumbprint: string, services: string[]): Promise<Certificate> {
    const cert = (await this.certificates()).find((c) => c.thumbprint.toLowerCase() === thumbprint.toLowerCase());
    if (!cert) throw new DirectoryError(`There is no certificate with thumbprint ${thumbprint}. Get-ExchangeCertificate lists them.`);
    await this.write((tx) => this.assignServices(tx, cert.thumbprint, services));
    return (await this.certificates()).find((c) => c.thumbprint === cert.thumbprint)!;
  }

  private async assignServices(tx: SqlExecutor, thumbprint: string, services: string[]): Promise<void> {
    const row = await tx.get<{ server_key: string; services: string }>(`SELECT server_key, services FROM certificates WHERE thumbprint = ?`, [thumbprint]);
    if (!row) return;
    // In the order of Exchange's AllowedServices flags, as Get-ExchangeCertificate lists them.
    const next = [...new Set([...(JSON.parse(row.services) as string[]), ...services])]
      .sort((a, b) => SERVICE_ORDER.indexOf(a) - SERVICE_ORDER.indexOf(b));
    await tx.run(`UPDATE certificates SET services = ? WHERE thumbprint = ?`, [JSON.stringify(next), thumbprint]);
    const exclusive = services.filter((s) => EXCLUSIVE_CERTIFICATE_SERVICES.includes(s));
    if (exclusive.length === 0) return;
    const others = await tx.all<{ thumbprint: string; services: string }>(
      `SELECT thumbprint, services FROM certificates WHERE server_key = ? AND thumbprint <> ?`, [row.server_key, thumbprint],
    );
    for (const other of others) {
      const had = JSON.parse(other.services) as string[];
      const kept = had.filter((s) => !exclusive.includes(s));
      if (kept.length !== had.length) await tx.run(`UPDATE certificates SET services = ? WHERE thumbprint = ?`, [JSON.stringify(kept), other.thumbprint]);
    }
  }

  /** Deletes a certificate (Remove-ExchangeCertificate); the cmdlet checks first that it may go. */
  async removeCertificate(thumbprint: string): Promise<void> {
    const removed = await this.write((tx) => tx.run(`DELETE FROM certificates WHERE thumbprint = ?`, [thumbprint]));
    if (removed.changes === 0) throw new DirectoryError(`There is no certificate with thumbprint ${thumbprint}. Get-ExchangeCertificate lists them.`);
  }
}

/** Services with one certificate per server (Exchange binds one certificate to IIS, POP3 and IMAP4). */
const EXCLUSIVE_CERTIFICATE_SERVICES = ['IIS', 'POP', 'IMAP'];
const SERVICE_ORDER = ['IMAP', 'POP', 'UM', 'IIS', 'SMTP'];

const CERTIFICATE_KEY_PURPOSE = 'certificate-private-key';

async function hasColumn(db: SqlDatabase, table: string, column: string): Promise<boolean> {
  return db.get(`SELECT ${column} FROM ${table} WHERE 1 = 0`).then(() => true, () => false);
}

async function addColumnIfMissing(db: SqlDatabase, table: string, column: string, definition: string): Promise<void> {
  if (await hasColumn(db, table, column)) return;
  try {
    await db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  } catch (err) {
    // Another process opening the same directory added it first.
    if (!(await hasColumn(db, table, column))) throw err;
  }
}

export function deriveAlias(name: string): string {
  const kept = name.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '');
  // Dots off both ends by index: `\.+$` was quadratic on a long run of inner dots.
  let start = 0;
  let end = kept.length;
  while (start < end && kept[start] === '.') start++;
  while (end > start && kept[end - 1] === '.') end--;
  const ascii = kept.slice(start, end);
  return ascii.length > 0 ? ascii.slice(0, 64) : `user${Date.now().toString(36)}`;
}

/** Exchange aliases: letters, digits and !#$%&'*+-/=?^_`{|}~ with inner dots, at most 64 characters. */
export function validAlias(alias: string): string | undefined {
  if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/.test(alias) || alias.length > 64) {
    return `must be 1–64 letters, digits or !#$%&'*+-/=?^_\`{|}~ with single inner dots (got '${alias}').`;
  }
  return undefined;
}

export function isEmailAddress(text: string): boolean {
  // Local parts may be UTF-8 (RFC 6531), so only structure is checked here.
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1 || text.length > 320) return false;
  return !/[\s<>()\[\]\\,;:"]/.test(text.slice(0, at)) && /^[^\s@]+\.[^\s@.]+$|^[^\s@.]+$/.test(text.slice(at + 1));
}
