// The `mailroom` command: setup, start, the quickstart, and every cmdlet in Exchange
// Management Shell syntax. Returns the process exit code.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Role } from './host/server.ts';
import { restrictProcessUmask } from './lib/private-files.ts';
// The rest loads with the command that needs it: a server process (and the supervisor) never
// loads the cmdlets, and a cmdlet never loads the server.

const USAGE = `Usage:
  mailroom setup --organization NAME --domain DOMAIN [--fqdn FQDN] [--server NAME] --admin-password PW
                 [--directory postgres://...]   (the organization's directory in PostgreSQL)
  mailroom setup --join postgres://... --server NAME [--fqdn FQDN] [--site SITE]
                 (another server in that organization, with its certificate and first database)
  mailroom start [--role all|frontend|backend] [--server NAME] [--single-process]
                 (all: the front ends and the back ends as two supervised processes; with
                 --single-process, both tiers in this one process)
  mailroom import --dovecot MAILROOT --passwd-file FILE [--domain DOMAIN] [--mail-location LOCATION]
                 (a whole Dovecot server: mailboxes, passwords and mail; see docs/migration.md)
  mailroom import --imap-csv FILE --remote-server HOST [--port N] [--security Ssl|Tls|None] ...
                 (accounts EmailAddress,UserName,Password pulled from another IMAP server)
  mailroom quickstart            (what \`npm start\` runs: setup with a demo mailbox on first run, then start)
  mailroom backup DIR            (a consistent copy of the data folder, also while the server runs)
  mailroom restore DIR [--force] (put a backup in place as the data folder; the server must be stopped)
  mailroom doctor [--repair] [--json]  (check counters, quota usage, message bodies and the search index)
  mailroom install-service [--user mailroom] [--data /var/lib/mailroom] [--unit-dir DIR] [--print]
                                 (the systemd unit with this installation's paths)
  mailroom <Verb-Noun> [Identity] [-Parameter value]... [--json]
  mailroom shell                 (read cmdlet lines from standard input, one per line)
  mailroom Get-Help <Verb-Noun>  (or: mailroom <Verb-Noun> -?)
  mailroom Get-Command           (list every cmdlet)

Environment: MAILROOM_DATA (data folder, default ./data), MAILROOM_PORT_OFFSET (added to every
port), MAILROOM_DIRECTORY (postgres:// URL of a shared directory), MAILROOM_LOG_LEVEL,
MAILROOM_LOG_FORMAT (pretty|json; pretty on a terminal), MAILROOM_SERVER (which server of the
organization this is, when the host name does not say).`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Whatever a command creates in the data folder is for the service's user alone (docs/security.md).
  restrictProcessUmask();
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    }
    if (command === 'setup') return await setupCommand(rest);
    if (command === 'start') return await startCommand(rest);
    // The server code loads only for the commands that run it, so cmdlets start fast.
    if (command === 'quickstart') return await (await import('./host/quickstart.ts')).runQuickstart();
    if (command === 'shell') return await shellCommand();
    if (command === 'install-service') return await (await import('./host/install-service.ts')).installServiceCommand(rest);
    if (command === 'backup' || command === 'restore' || command === 'doctor') {
      return await (await import('./host/operations.ts')).operationsCommand(command, rest);
    }
    if (command === 'import' && rest.some((a) => a === '--imap-csv' || a.startsWith('--imap-csv='))) {
      return await (await import('./host/imap-csv-import.ts')).imapCsvImportCommand(rest);
    }
    if (command === 'import') return await (await import('./host/server-import.ts')).importCommand(rest);
    const { isCmdletName } = await import('./cli/registry.ts');
    if (isCmdletName(command)) return await (await import('./cli/run.ts')).cmdletCommand(command, rest, process.stdout);
    console.error(`Unknown command '${command}'.\n\n${USAGE}`);
    return 2;
  } catch (err) {
    return reportError(err);
  }
}

/** An error's message and status 1; a programming error (TypeError, ReferenceError) in full, 70. */
function reportError(err: unknown): number {
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof ReferenceError)) {
    console.error(err.message);
    return 1;
  }
  console.error(err);
  return 70;
}

async function setupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      organization: { type: 'string' },
      domain: { type: 'string' },
      fqdn: { type: 'string' },
      server: { type: 'string' },
      'admin-password': { type: 'string' },
      directory: { type: 'string' },
      join: { type: 'string' },
      site: { type: 'string' },
    },
    strict: true,
  });
  const url = values.join ?? values.directory;
  if (values.join !== undefined && values.directory !== undefined) {
    console.error('setup: give --directory URL to create an organization, or --join URL to add a server to one, not both.');
    return 2;
  }
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      console.error(`setup: --${values.join !== undefined ? 'join' : 'directory'} must be a postgres:// URL (got '${url}').`);
      return 2;
    }
    // The directory every later command of this server uses too: MAILROOM_DIRECTORY.
    process.env.MAILROOM_DIRECTORY = url;
  }
  if (values.join !== undefined) return joinCommand(values);
  if (values.site !== undefined) {
    console.error('setup: --site goes with --join (the first server is in Default-First-Site-Name; New-AdSite and Set-ExchangeServer -Site move it).');
    return 2;
  }
  const missing = ['organization', 'domain', 'admin-password'].filter((k) => !values[k as keyof typeof values]);
  if (missing.length) {
    console.error(`setup needs ${missing.map((m) => `--${m}`).join(', ')}.\n\n${USAGE}`);
    return 2;
  }
  const [{ Directory }, { setupOrganization }, { formatList }] = await Promise.all([
    import('./directory/directory.ts'), import('./host/setup.ts'), import('./cli/cmdlet.ts'),
  ]);
  const directory = await Directory.open();
  try {
    const result = await setupOrganization(directory, {
      organization: values.organization!, domain: values.domain!, fqdn: values.fqdn, server: values.server,
      adminPassword: values['admin-password']!,
    });
    console.log(formatList([{
      Organization: result.organization.name, ShortDomainName: result.organization.shortDomain,
      Server: result.serverName, Fqdn: result.fqdn, Administrator: result.administrator.userPrincipalName,
      Certificate: result.certificateThumbprint,
    }]));
    console.log(`\nPOP3 and IMAP4 are disabled, as in Exchange. To enable IMAP4:\n  mailroom Set-Service imap4,imap4-backend -StartupType Automatic\nThen run: mailroom start`);
    return 0;
  } finally {
    await directory.close();
  }
}

async function joinCommand(values: { join?: string; server?: string; fqdn?: string; site?: string; organization?: string; domain?: string; 'admin-password'?: string }): Promise<number> {
  const stray = (['organization', 'domain', 'admin-password'] as const).filter((k) => values[k] !== undefined);
  if (stray.length > 0) {
    console.error(`setup --join adds a server to an existing organization: ${stray.map((k) => `--${k}`).join(', ')} belong to creating one.`);
    return 2;
  }
  if (!values.server) {
    console.error(`setup --join needs --server NAME (the name of the server being added, such as MAIL02).\n\n${USAGE}`);
    return 2;
  }
  const [{ Directory }, { joinOrganization }, { formatList }] = await Promise.all([
    import('./directory/directory.ts'), import('./host/setup.ts'), import('./cli/cmdlet.ts'),
  ]);
  const directory = await Directory.open();
  try {
    const result = await joinOrganization(directory, { server: values.server, fqdn: values.fqdn, site: values.site });
    console.log(formatList([{
      Organization: result.organization.name, Server: result.serverName, Fqdn: result.fqdn, Site: result.site,
      Database: result.database, Certificate: result.certificateThumbprint,
    }]));
    console.log(`\nStart it on this machine with the same directory:\n  MAILROOM_DIRECTORY=<the URL> mailroom start --server ${result.serverName}`);
    return 0;
  } finally {
    await directory.close();
  }
}

async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string', default: 'all' }, server: { type: 'string' },
      // `--split` was how the two processes were asked for before they became the default.
      split: { type: 'boolean', default: false }, 'single-process': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!['all', 'frontend', 'backend'].includes(values.role!)) {
    console.error(`--role must be all, frontend or backend (got '${values.role}').`);
    return 2;
  }
  if (values['single-process'] && values.role !== 'all') {
    console.error('--single-process runs both roles (the front ends and the back ends) in one process; it goes with --role all only.');
    return 2;
  }
  if (values.split && (values.role !== 'all' || values['single-process'])) {
    console.error('--split runs both roles as two processes (the default for --role all); it goes with --role all only, and not with --single-process.');
    return 2;
  }
  if (values.role === 'all' && !values['single-process']) {
    return (await import('./host/supervise.ts')).runSupervisor({ server: values.server, script: process.argv[1]! });
  }
  return (await import('./host/server.ts')).runServer({ role: values.role as Role, server: values.server });
}

/** One cmdlet per line from standard input, with PowerShell quoting ($false needs no quotes here). */
async function shellCommand(): Promise<number> {
  const [{ Directory }, { splitCommandLine }, { isCmdletName }, { CmdletSyntaxError }, { cmdletCommand }] = await Promise.all([
    import('./directory/directory.ts'), import('./cli/syntax.ts'), import('./cli/registry.ts'), import('./cli/types.ts'), import('./cli/run.ts'),
  ]);
  const directory = await Directory.open();
  const lines = createInterface({ input: process.stdin, terminal: false });
  let failures = 0;
  try {
    for await (const line of lines) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      try {
        const [name, ...args] = splitCommandLine(trimmed.replace(/^mailroom\s+/, ''));
        if (!name || !isCmdletName(name)) throw new CmdletSyntaxError(`'${name ?? ''}' is not a cmdlet name (Verb-Noun).`);
        if ((await cmdletCommand(name, args, process.stdout, directory)) !== 0) failures++;
      } catch (err) {
        reportError(err);
        failures++;
      }
    }
  } finally {
    await directory.close();
  }
  return failures === 0 ? 0 : 1;
}
