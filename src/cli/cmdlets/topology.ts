// Servers, sites and mailbox databases: Get-ExchangeServer, Set-ExchangeServer -Site, Get-AdSite,
// New-AdSite, New-/Get-/Remove-MailboxDatabase, Mount-Database and Dismount-Database.
//
// Exchange takes sites from Active Directory (Get-AdSite in the Exchange Management Shell);
// Mailroom keeps them in its directory: New-AdSite defines one, `setup --join --site` or
// Set-ExchangeServer -Site places a server in it.
import { createRequire } from 'node:module';
import { DATABASE_SETTINGS } from '../../config/mailbox.ts';
import type { MailboxDatabase, Server } from '../../directory/directory.ts';
import { displaySettings, type Cmdlet, type OutputObject } from '../cmdlet.ts';
import type { BoundValue, ParameterSpec } from '../types.ts';

/** A server counts as running when it reported within this window (as Get-Service counts it). */
const HEARTBEAT_FRESH_MS = 5000;

const VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
  } catch {
    return '0';
  }
})();

const DATABASE_IDENTITY: ParameterSpec = { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox database.' };

/**
 * Parameters of Exchange's New-MailboxDatabase that Mailroom cannot honour: refused with the
 * reason rather than accepted and ignored.
 */
const NEW_DATABASE_UNSUPPORTED: Record<string, string> = {
  EdbFilePath: 'a mailbox database is a folder named after it under the data folder (databases/NAME); its place follows MAILROOM_DATA',
  LogFolderPath: 'Mailroom\'s databases keep their own write-ahead log beside the data, in the database folder',
  Recovery: 'Mailroom has no recovery databases; mailroom backup and restore copy the whole data folder',
  PublicFolderDatabase: 'Mailroom has no public folders',
  OfflineAddressBook: 'Mailroom has no offline address book (it serves POP3, IMAP4 and SMTP clients)',
  IsExcludedFromProvisioning: 'new mailboxes go to the database New-Mailbox -Database names, else the first one',
  IsSuspendedFromProvisioning: 'new mailboxes go to the database New-Mailbox -Database names, else the first one',
};

function refuseUnsupported(args: Record<string, BoundValue>, table: Record<string, string>): void {
  for (const [name, reason] of Object.entries(table)) {
    if (name in args) throw new Error(`-${name} is not supported: ${reason}.`);
  }
}

function running(server: Server): boolean {
  return server.heartbeatAt !== null && Date.now() - server.heartbeatAt < HEARTBEAT_FRESH_MS;
}

function showServer(s: Server): OutputObject {
  return {
    Name: s.name, Fqdn: s.fqdn, Site: s.site,
    // Every Mailroom server has both roles; `mailroom start --role` picks what a process runs.
    ServerRole: 'Mailbox, ClientAccess',
    AdminDisplayVersion: `Mailroom ${VERSION}`,
    Running: running(s),
    LastHeartbeat: s.heartbeatAt === null ? null : new Date(s.heartbeatAt).toISOString(),
  };
}

function showDatabase(d: MailboxDatabase, servers: Server[], status: boolean): OutputObject {
  const server = servers.find((s) => s.name.toLowerCase() === d.server.toLowerCase());
  return {
    Name: d.name, Server: d.server,
    // As in Exchange, Mounted is read from the server only with -Status; MountedOnServer is its FQDN.
    ...(status ? { Mounted: d.mounted } : {}),
    MountedOnServer: server?.fqdn ?? d.server,
    Engine: d.engine,
    ...displaySettings(DATABASE_SETTINGS, d.settings),
  };
}

export const topologyCmdlets: Cmdlet[] = [
  {
    name: 'Get-ExchangeServer',
    synopsis: 'Lists servers with their FQDN, site, roles, version and when each last reported that it runs.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'Server name or FQDN.' }],
    examples: ['Get-ExchangeServer', 'Get-ExchangeServer MAIL02'],
    async run(args, ctx) {
      if (args.Identity !== undefined) return [showServer(await ctx.directory.server(String(args.Identity)))];
      return (await ctx.directory.servers()).map(showServer);
    },
  },
  {
    name: 'Set-ExchangeServer',
    synopsis: 'Places a server in a site (Mailroom only: Exchange takes a server\'s site from Active Directory).',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'Server name or FQDN.' },
      { name: 'Site', kind: 'string', required: true, help: 'Mailroom only. A site New-AdSite defined; Get-AdSite lists them.' },
    ],
    examples: ['Set-ExchangeServer MAIL02 -Site Branch'],
    async run(args, ctx) {
      return [showServer(await ctx.directory.setServerSite(String(args.Identity), String(args.Site)))];
    },
  },
  {
    name: 'Get-AdSite',
    synopsis: 'Lists the sites of the organization and the servers in each.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'Site name.' }],
    async run(args, ctx) {
      const sites = await ctx.directory.sites();
      const wanted = args.Identity === undefined ? sites : sites.filter((s) => s.name.toLowerCase() === String(args.Identity).toLowerCase());
      if (args.Identity !== undefined && wanted.length === 0) {
        throw new Error(`There is no site '${args.Identity}' (sites: ${sites.map((s) => s.name).join(', ')}).`);
      }
      return wanted.map((s) => ({ Name: s.name, Servers: s.servers }));
    },
  },
  {
    name: 'New-AdSite',
    synopsis: 'Defines a site, for servers to be placed in (Mailroom only: Exchange reads sites from Active Directory).',
    parameters: [{ name: 'Name', kind: 'string', positional: 0, required: true, help: 'The site name, e.g. Branch-Office.' }],
    examples: ['New-AdSite Branch-Office'],
    async run(args, ctx) {
      await ctx.directory.addSite(String(args.Name));
      return [{ Name: String(args.Name).trim(), Servers: [] }];
    },
  },
  {
    name: 'Get-MailboxDatabase',
    synopsis: 'Shows mailbox databases with their server, quotas and retention; -Status adds whether each is mounted.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'The mailbox database; all when omitted.' },
      { name: 'Server', kind: 'string', help: 'Only the databases of this server.' },
      { name: 'Status', kind: 'switch', help: 'Also show Mounted.' },
    ],
    examples: ['Get-MailboxDatabase', 'Get-MailboxDatabase -Server MAIL02 -Status'],
    async run(args, ctx) {
      const servers = await ctx.directory.servers();
      const server = args.Server === undefined ? undefined : await ctx.directory.server(String(args.Server));
      const all = args.Identity === undefined ? await ctx.directory.mailboxDatabases() : [await ctx.directory.mailboxDatabase(String(args.Identity))];
      return all
        .filter((d) => !server || d.server.toLowerCase() === server.name.toLowerCase())
        .map((d) => showDatabase(d, servers, args.Status === true));
    },
  },
  {
    name: 'New-MailboxDatabase',
    synopsis: 'Adds a mailbox database to a server; it stays dismounted until Mount-Database, as in Exchange.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'The database name, e.g. "Mailbox Database 2".' },
      { name: 'Server', kind: 'string', required: true, help: 'The server that will mount it.' },
      ...Object.keys(NEW_DATABASE_UNSUPPORTED).map((name): ParameterSpec => ({
        name, kind: name.startsWith('Is') || name === 'Recovery' ? 'switch' : 'string',
        help: `Not supported: ${NEW_DATABASE_UNSUPPORTED[name]}.`,
      })),
    ],
    examples: ['New-MailboxDatabase "Mailbox Database 2" -Server MAIL02', 'Mount-Database "Mailbox Database 2"'],
    async run(args, ctx) {
      refuseUnsupported(args, NEW_DATABASE_UNSUPPORTED);
      const database = await ctx.directory.addMailboxDatabase({ name: String(args.Name), server: String(args.Server), mounted: false });
      ctx.warn(`The database is dismounted. Run Mount-Database "${database.name}" to mount it on ${database.server}.`);
      return [showDatabase(database, await ctx.directory.servers(), true)];
    },
  },
  {
    name: 'Remove-MailboxDatabase',
    synopsis: 'Removes a mailbox database that has no mailboxes; its files stay in the server\'s data folder until you delete them.',
    parameters: [DATABASE_IDENTITY],
    examples: ['Remove-MailboxDatabase "Mailbox Database 2"'],
    async run(args, ctx) {
      const removed = await ctx.directory.removeMailboxDatabase(String(args.Identity));
      ctx.warn(`The files of ${removed.name} stay on ${removed.server} (databases/ in its data folder); delete them there when you no longer need them.`);
    },
  },
  {
    name: 'Mount-Database',
    synopsis: 'Mounts a mailbox database: its server opens it within a second and its mailboxes can be reached again.',
    parameters: [DATABASE_IDENTITY],
    examples: ['Mount-Database "Mailbox Database MAIL02"'],
    async run(args, ctx) {
      const database = await ctx.directory.mailboxDatabase(String(args.Identity));
      if (database.mounted) return;
      await ctx.directory.setDatabaseMounted(database.name, true);
    },
  },
  {
    name: 'Dismount-Database',
    synopsis: 'Dismounts a mailbox database: within a second its server ends the sessions on it and closes it; clients get temporary errors.',
    parameters: [DATABASE_IDENTITY],
    examples: ['Dismount-Database "Mailbox Database MAIL02"'],
    async run(args, ctx) {
      const database = await ctx.directory.mailboxDatabase(String(args.Identity));
      if (!database.mounted) return;
      await ctx.directory.setDatabaseMounted(database.name, false);
    },
  },
];
