// Test-ImapConnectivity, Test-PopConnectivity, Test-SmtpConnectivity and New-TestCasConnectivityUser.
// The tests are clients: they connect over real sockets to the running server, check its
// certificate as a mail client does (chain and the server's FQDN) and log on. Without -LightMode
// the POP3 and IMAP4 tests also submit a message through an SMTP client connector and retrieve
// and delete it, as Exchange's do. Each step is one output row: Scenario, Result (Success,
// Failure, Skipped), Latency(MS), Error.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { credentialsFor, generatePassword, organizationPasswordCost } from '../../auth/credentials.ts';
import { parseBinding } from '../../config/endpoints.ts';
import type { SettingsDocument } from '../../config/model.ts';
import type { Directory, ReceiveConnector, Server } from '../../directory/directory.ts';
import { portOffset } from '../../lib/env.ts';
import { ImapProbe, type ConnectionType, type Credential } from '../connectivity/imap-probe.ts';
import { Pop3Probe } from '../connectivity/pop3-probe.ts';
import { ProbeConnection, ProbeError, type ProbeTarget } from '../connectivity/probe-connection.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';
import type { BoundValue, ParameterSpec } from '../types.ts';

const CONNECTION_TYPES = ['Plaintext', 'Ssl', 'Tls'] as const;
/** Environment variable the password of -MailboxCredential is read from, when set. */
export const CREDENTIAL_PASSWORD_ENV = 'MAILROOM_CREDENTIAL_PASSWORD';
const TEST_ACCOUNT_PURPOSE = 'test-cas-connectivity-user';
const TEST_SUBJECT = 'Mailroom connectivity test';
const DAY_MS = 24 * 60 * 60 * 1000;

const TEST_ACCOUNTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS test_cas_accounts (
  server_key TEXT PRIMARY KEY,
  mailbox_id TEXT NOT NULL,
  password TEXT NOT NULL
);`;

const COMMON: ParameterSpec[] = [
  { name: 'ClientAccessServer', kind: 'string', positional: 0, help: 'Server to test; this server when omitted (MAILROOM_SERVER, or the host name).' },
  { name: 'MailboxServer', kind: 'string', help: 'Server whose test account (New-TestCasConnectivityUser) is used; the tested server when omitted.' },
  { name: 'MailboxCredential', kind: 'string', help: `Mailbox to log on as (user@domain or DOMAIN\\user); its password comes from ${CREDENTIAL_PASSWORD_ENV} or is asked for. The server's test account when omitted.` },
  { name: 'ConnectionType', kind: 'enum', values: CONNECTION_TYPES, help: 'Ssl (TLS from the start, 993/995; the default), Tls (STARTTLS on 143/110) or Plaintext (143/110 without TLS).' },
  { name: 'PortClientAccessServer', kind: 'int', help: 'Port to connect to; the first binding of the connection type when omitted (MAILROOM_PORT_OFFSET is added).' },
  { name: 'LightMode', kind: 'switch', help: 'Only log on; do not send and retrieve a test message.' },
  { name: 'Timeout', kind: 'int', help: 'Seconds the whole test may take (default 180, 1–3600).' },
  { name: 'PerConnectionTimeout', kind: 'int', help: 'Seconds one connection step may wait (default 120, 1–120).' },
  { name: 'TrustAnySSLCertificate', kind: 'switch', help: 'Accept any certificate (self-signed, expired, another name); without it certificate problems fail the test as they fail clients.' },
  { name: 'ResetTestAccountCredentials', kind: 'switch', help: 'Give the test account a new password first.' },
];

interface TestOptions {
  server: Server;
  site: string;
  connectionType: ConnectionType;
  credential: Credential;
  light: boolean;
  perConnectionMs: number;
  deadline: number;
  trustAny: boolean;
  port?: number;
}

interface Step {
  scenario: string;
  result: 'Success' | 'Failure' | 'Skipped';
  latencyMs: number;
  error: string;
}

function row(options: TestOptions, step: Step): OutputObject {
  return {
    CasServer: options.server.name, LocalSite: options.site, Scenario: step.scenario, Result: step.result,
    'Latency(MS)': step.result === 'Skipped' ? null : step.latencyMs, Error: step.error,
  };
}

async function timed<T>(scenario: string, fn: () => Promise<T>): Promise<{ step: Step; value?: T }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { step: { scenario, result: 'Success', latencyMs: Math.round(performance.now() - start), error: '' }, value };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { step: { scenario, result: 'Failure', latencyMs: Math.round(performance.now() - start), error: message } };
  }
}

const skipped = (scenario: string): Step => ({ scenario, result: 'Skipped', latencyMs: 0, error: '' });

/**
 * Where a client reaches a binding from here: its own address when it names one; for a wildcard
 * binding, the loopback address when the server is this machine (or the only server), else the
 * server's FQDN. The certificate is always checked against the FQDN.
 */
async function hostFor(directory: Directory, server: Server, address: string): Promise<string> {
  if (address !== '0.0.0.0' && address !== '::') return address;
  const servers = await directory.servers();
  const local = servers.length === 1 || hostname().split('.')[0]!.toLowerCase() === server.name.toLowerCase();
  if (local) return address === '::' ? '::1' : '127.0.0.1';
  return server.fqdn;
}

async function protocolTarget(directory: Directory, options: TestOptions, settings: SettingsDocument, protocol: string): Promise<ProbeTarget> {
  const list = (options.connectionType === 'Ssl' ? settings.SSLBindings : settings.UnencryptedOrTLSBindings) as string[];
  const bindings = list.map((b) => parseBinding(b)).filter((b) => b !== undefined);
  // IPv4 first: a machine without IPv6 still runs the IPv4 wildcard.
  bindings.sort((a, b) => (isIP(a.address) === 4 ? 0 : 1) - (isIP(b.address) === 4 ? 0 : 1));
  const binding = bindings[0];
  if (!binding && options.port === undefined) {
    throw new Error(`${protocol} on ${options.server.name} has no ${options.connectionType === 'Ssl' ? 'SSLBindings' : 'UnencryptedOrTLSBindings'}; give -PortClientAccessServer or another -ConnectionType.`);
  }
  return {
    host: await hostFor(directory, options.server, binding?.address ?? '0.0.0.0'),
    port: (options.port ?? binding!.port) + portOffset(),
    serverName: options.server.fqdn,
    trustAnyCertificate: options.trustAny,
    timeoutMs: Math.max(1, Math.min(options.perConnectionMs, options.deadline - Date.now())),
  };
}

/** A receive connector mail clients submit through: authenticated users, AUTH offered; implicit TLS preferred. */
function submissionConnector(connectors: ReceiveConnector[]): ReceiveConnector | undefined {
  const usable = connectors.filter((c) => c.settings.Enabled !== false
    && (c.settings.PermissionGroups as string[]).includes('ExchangeUsers')
    && (c.settings.AuthMechanism as string[]).some((m) => m === 'BasicAuth' || m === 'BasicAuthRequireTLS'));
  return usable.find((c) => c.settings.ImplicitTls === true) ?? usable[0];
}

async function sendTestMessage(directory: Directory, options: TestOptions, address: string, subject: string): Promise<void> {
  const connector = submissionConnector(await directory.receiveConnectors(options.server.name));
  if (!connector) throw new Error(`${options.server.name} has no enabled receive connector for authenticated users (ExchangeUsers with BasicAuth).`);
  const binding = (connector.settings.Bindings as string[]).map((b) => parseBinding(b)).filter((b) => b !== undefined)
    .sort((a, b) => (isIP(a.address) === 4 ? 0 : 1) - (isIP(b.address) === 4 ? 0 : 1))[0];
  if (!binding) throw new Error(`The receive connector ${connector.identity} has no bindings.`);
  const implicit = connector.settings.ImplicitTls === true;
  // Loaded by the SMTP test only: every other admin command starts without it.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: await hostFor(directory, options.server, binding.address),
    port: binding.port + portOffset(),
    secure: implicit,
    requireTLS: !implicit,
    auth: { user: options.credential.user, pass: options.credential.password },
    tls: { servername: options.server.fqdn, rejectUnauthorized: !options.trustAny, minVersion: 'TLSv1.2' },
    connectionTimeout: options.perConnectionMs,
    greetingTimeout: options.perConnectionMs,
    socketTimeout: options.perConnectionMs,
  });
  try {
    await transport.sendMail({
      from: address, to: address, subject,
      text: 'This message was sent by a Mailroom connectivity test and is deleted by it.',
    });
  } catch (err) {
    throw new Error(`Submission through "${connector.identity}" failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    transport.close();
  }
}

/** Polls `find` until it returns something or the test's deadline passes. */
async function untilFound<T>(find: () => Promise<T[]>, deadline: number, what: string): Promise<T[]> {
  for (;;) {
    const found = await find();
    if (found.length > 0) return found;
    if (Date.now() + 500 > deadline) throw new ProbeError(`${what} did not arrive before the test's -Timeout.`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function askPassword(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    let text = '';
    const done = (value: string | Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(text);
        if (ch === '\u0003') return done(new Error('Cancelled.'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    const onEnd = () => (text ? done(text) : done(new Error(`No password for -MailboxCredential: set ${CREDENTIAL_PASSWORD_ENV} or type it when asked.`)));
    if (input.isTTY) {
      process.stderr.write(prompt);
      input.setRawMode(true); // no echo
    }
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

/** The test account of a server, made by New-TestCasConnectivityUser. */
async function testAccount(directory: Directory, server: Server, reset: boolean): Promise<Credential | undefined> {
  const db = await directory.tables(TEST_ACCOUNTS_SCHEMA);
  const row = await db.get<{ mailbox_id: string; password: string }>(`SELECT mailbox_id, password FROM test_cas_accounts WHERE server_key = ?`, [server.name.toLowerCase()]);
  if (!row) return undefined;
  const mailbox = await directory.mailboxById(row.mailbox_id);
  if (!mailbox) return undefined;
  if (reset) return { user: mailbox.userPrincipalName, password: await setTestPassword(directory, server, mailbox.id) };
  return { user: mailbox.userPrincipalName, password: directory.secrets.open(row.password, TEST_ACCOUNT_PURPOSE) };
}

async function setTestPassword(directory: Directory, server: Server, mailboxId: string): Promise<string> {
  const password = generatePassword();
  await directory.updateMailbox(mailboxId, { credentials: await credentialsFor(password, await organizationPasswordCost(directory)) });
  const db = await directory.tables(TEST_ACCOUNTS_SCHEMA);
  await db.run(
    `INSERT INTO test_cas_accounts (server_key, mailbox_id, password) VALUES (?, ?, ?) ON CONFLICT (server_key) DO UPDATE SET mailbox_id = excluded.mailbox_id, password = excluded.password`,
    [server.name.toLowerCase(), mailboxId, directory.secrets.seal(password, TEST_ACCOUNT_PURPOSE)],
  );
  return password;
}

async function resolveOptions(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<TestOptions> {
  const server = await ctx.directory.server(args.ClientAccessServer as string | undefined);
  const timeout = (args.Timeout as number | undefined) ?? 180;
  if (timeout < 1 || timeout > 3600) throw new Error(`-Timeout must be 1 to 3600 seconds (got ${timeout}).`);
  const perConnection = (args.PerConnectionTimeout as number | undefined) ?? 120;
  if (perConnection < 1 || perConnection > 120) throw new Error(`-PerConnectionTimeout must be 1 to 120 seconds (got ${perConnection}).`);
  const port = args.PortClientAccessServer as number | undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`-PortClientAccessServer must be 1 to 65535 (got ${port}).`);
  let credential: Credential;
  if (typeof args.MailboxCredential === 'string') {
    const password = process.env[CREDENTIAL_PASSWORD_ENV] ?? (await askPassword(`Password for ${args.MailboxCredential}: `));
    credential = { user: args.MailboxCredential, password };
  } else {
    const mailboxServer = await ctx.directory.server((args.MailboxServer as string | undefined) ?? server.name);
    const account = await testAccount(ctx.directory, mailboxServer, args.ResetTestAccountCredentials === true);
    if (!account) {
      throw new Error(`There is no test account for ${mailboxServer.name}: run New-TestCasConnectivityUser -MailboxServer ${mailboxServer.name}, or give -MailboxCredential.`);
    }
    credential = account;
  }
  return {
    server, site: server.site, credential, port,
    connectionType: (args.ConnectionType as ConnectionType | undefined) ?? 'Ssl',
    light: args.LightMode === true,
    perConnectionMs: perConnection * 1000,
    deadline: Date.now() + timeout * 1000,
    trustAny: args.TrustAnySSLCertificate === true,
  };
}

/**
 * The address the test message goes to: the mailbox the logon opens — the user's own, or with
 * `user@domain\\alias` / `DOMAIN\\user\\alias` the mailbox it opens through FullAccess.
 */
async function addressOf(directory: Directory, user: string): Promise<string> {
  const parts = user.split('\\');
  const opened = parts.length === 1 ? user : parts[0]!.includes('@') ? parts[1]! : parts.length >= 3 ? parts[2]! : user;
  const mailbox = await directory.findMailbox(opened);
  if (!mailbox) throw new Error(`-MailboxCredential: there is no mailbox '${user}'.`);
  return mailbox.primarySmtpAddress;
}

async function imapTest(options: TestOptions, ctx: CmdletContext): Promise<OutputObject[]> {
  const target = await protocolTarget(ctx.directory, options, await ctx.directory.settings('ImapSettings', options.server.name), 'IMAP4');
  const steps: Step[] = [];
  const logon = await timed('Test IMAP4 Connectivity', () => ImapProbe.logon(target, options.connectionType, options.credential));
  steps.push(logon.step);
  const session = logon.value;
  if (options.light || !session) {
    if (!options.light) steps.push(skipped('Send test message (SMTP)'), skipped('Find and delete test message (IMAP4)'));
    await session?.logout();
    return steps.map((s) => row(options, s));
  }
  const subject = `${TEST_SUBJECT} ${randomBytes(8).toString('hex')}`;
  const sent = await timed('Send test message (SMTP)', async () => sendTestMessage(ctx.directory, options, await addressOf(ctx.directory, options.credential.user), subject));
  steps.push(sent.step);
  if (sent.step.result === 'Success') {
    steps.push((await timed('Find and delete test message (IMAP4)', async () => {
      const uids = await untilFound(() => session.search(subject), options.deadline, 'The test message');
      // Earlier tests' messages left behind (a test stopped half-way) go too, after a day.
      const stale = await session.search(TEST_SUBJECT, new Date(Date.now() - DAY_MS));
      await session.remove([...new Set([...uids, ...stale])]);
    })).step);
  } else {
    steps.push(skipped('Find and delete test message (IMAP4)'));
  }
  await session.logout();
  return steps.map((s) => row(options, s));
}

async function popTest(options: TestOptions, ctx: CmdletContext): Promise<OutputObject[]> {
  const target = await protocolTarget(ctx.directory, options, await ctx.directory.settings('PopSettings', options.server.name), 'POP3');
  const steps: Step[] = [];
  const logon = await timed('Test POP3 Connectivity', () => Pop3Probe.logon(target, options.connectionType, options.credential));
  steps.push(logon.step);
  await logon.value?.quit().catch(() => undefined);
  if (options.light) return steps.map((s) => row(options, s));
  if (!logon.value) {
    steps.push(skipped('Send test message (SMTP)'), skipped('Find and delete test message (POP3)'));
    return steps.map((s) => row(options, s));
  }
  const subject = `${TEST_SUBJECT} ${randomBytes(8).toString('hex')}`;
  const sent = await timed('Send test message (SMTP)', async () => sendTestMessage(ctx.directory, options, await addressOf(ctx.directory, options.credential.user), subject));
  steps.push(sent.step);
  if (sent.step.result !== 'Success') {
    steps.push(skipped('Find and delete test message (POP3)'));
    return steps.map((s) => row(options, s));
  }
  // A POP3 session sees the maildrop as it was at logon (RFC 1939 §8), so each look is a new session.
  steps.push((await timed('Find and delete test message (POP3)', async () => {
    await untilFound(async () => {
      const session = await Pop3Probe.logon({ ...target, timeoutMs: Math.max(1, Math.min(options.perConnectionMs, options.deadline - Date.now())) }, options.connectionType, options.credential);
      try {
        const found = await session.find(subject);
        await session.delete(found);
        return found;
      } finally {
        await session.quit();
      }
    }, options.deadline, 'The test message');
  })).step);
  return steps.map((s) => row(options, s));
}

/** Exchange's Test-SmtpConnectivity: every binding of every receive connector of the server, greeted and EHLO'd. */
async function smtpTest(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<OutputObject[]> {
  const server = await ctx.directory.server(args.Identity as string | undefined);
  const trustAny = args.TrustAnySSLCertificate === true;
  const timeoutMs = ((args.Timeout as number | undefined) ?? 30) * 1000;
  const out: OutputObject[] = [];
  for (const connector of await ctx.directory.receiveConnectors(server.name)) {
    if (connector.settings.Enabled === false) continue;
    for (const text of connector.settings.Bindings as string[]) {
      const binding = parseBinding(text);
      if (!binding) continue;
      const target: ProbeTarget = {
        host: await hostFor(ctx.directory, server, binding.address), port: binding.port + portOffset(), serverName: server.fqdn, trustAnyCertificate: trustAny, timeoutMs,
      };
      const result = await timed('smtp', async () => {
        const conn = await ProbeConnection.open(target, connector.settings.ImplicitTls === true);
        try {
          const greeting = await conn.readLine();
          if (!greeting.startsWith('220')) throw new ProbeError(`greeted with '${greeting}'`);
          conn.write(`EHLO ${hostname()}`);
          let line = await conn.readLine();
          while (line.startsWith('250-')) line = await conn.readLine();
          if (!line.startsWith('250')) throw new ProbeError(`EHLO answered '${line}'`);
          conn.write('QUIT');
          return greeting;
        } finally {
          conn.close();
        }
      });
      out.push({
        Server: server.name, ReceiveConnector: connector.identity, Binding: text, EndPoint: `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`,
        StatusCode: result.step.result === 'Success' ? 'Success' : result.step.error.includes('connection refused') ? 'UnableToConnect' : 'Failure',
        Details: result.value ?? result.step.error, 'Latency(MS)': result.step.latencyMs,
      });
    }
  }
  return out;
}

export const connectivityCmdlets: Cmdlet[] = [
  {
    name: 'Test-ImapConnectivity',
    synopsis: 'Logs on to the IMAP4 service of a running server as a client does, checking its certificate; without -LightMode also sends a test message by SMTP, finds it by IMAP4 and deletes it.',
    parameters: COMMON,
    examples: [
      'Test-ImapConnectivity -ClientAccessServer MAIL01 -LightMode',
      'Test-ImapConnectivity MAIL01 -MailboxCredential chris@contoso.com -ConnectionType Tls',
    ],
    async run(args, ctx) {
      return imapTest(await resolveOptions(args, ctx), ctx);
    },
  },
  {
    name: 'Test-PopConnectivity',
    synopsis: 'Logs on to the POP3 service of a running server as a client does, checking its certificate; without -LightMode also sends a test message by SMTP, finds it by POP3 and deletes it.',
    parameters: COMMON,
    examples: ['Test-PopConnectivity -ClientAccessServer MAIL01 -LightMode', 'Test-PopConnectivity MAIL01 -MailboxCredential chris@contoso.com'],
    async run(args, ctx) {
      return popTest(await resolveOptions(args, ctx), ctx);
    },
  },
  {
    name: 'Test-SmtpConnectivity',
    synopsis: 'Connects to every binding of every enabled receive connector of a server, checking the certificate where the connector starts with TLS, and reports each endpoint\'s greeting.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'Server to test; this server when omitted (MAILROOM_SERVER, or the host name).' },
      { name: 'TrustAnySSLCertificate', kind: 'switch', help: 'Accept any certificate on implicit-TLS connectors (465).' },
      { name: 'Timeout', kind: 'int', help: 'Seconds each endpoint may take (default 30).' },
    ],
    examples: ['Test-SmtpConnectivity MAIL01'],
    async run(args, ctx) {
      return smtpTest(args, ctx);
    },
  },
  {
    name: 'New-TestCasConnectivityUser',
    synopsis: 'Creates the test mailbox (extest_…) that Test-ImapConnectivity and Test-PopConnectivity log on as when no -MailboxCredential is given; its password is kept sealed in the directory.',
    parameters: [
      { name: 'MailboxServer', kind: 'string', help: 'Server the account is for; this server when omitted (MAILROOM_SERVER, or the host name).' },
      { name: 'Database', kind: 'string', help: 'Mailbox database of the test mailbox; the first one when omitted.' },
    ],
    examples: ['New-TestCasConnectivityUser -MailboxServer MAIL01'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.MailboxServer as string | undefined);
      const existing = await testAccount(ctx.directory, server, false);
      if (existing) throw new Error(`${server.name} already has a test account, ${existing.user}. Test-ImapConnectivity -ResetTestAccountCredentials gives it a new password.`);
      const alias = `extest_${randomBytes(5).toString('hex')}`;
      const mailbox = await ctx.directory.createMailbox({
        name: alias, alias, database: args.Database as string | undefined,
        settings: { DisplayName: `Test connectivity account for ${server.name}`, HiddenFromAddressListsEnabled: true },
      });
      await setTestPassword(ctx.directory, server, mailbox.id);
      return [{ Name: mailbox.name, UserPrincipalName: mailbox.userPrincipalName, Server: server.name, Database: mailbox.database }];
    },
  },
];
