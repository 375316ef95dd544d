// Two Mailroom servers as separate `mailroom start` processes on their own loopback addresses,
// sharing one PostgreSQL directory: MAIL01 (127.0.0.2, site A) and MAIL02 (127.0.0.3, site B),
// each with its own data folder and port offset. alice is on MAIL01's database; bob and the
// shared mailbox sales (alice has FullAccess) on MAIL02's. The front ends listen on their
// server's address with implicit TLS (993/995 + offset). The smtp service is off unless
// create({ smtp: true }) asks for it; then each server's receive connectors (25, 587, 465 +
// offset) listen on its own address. smtp-backend, the mail delivery port (2525), runs on both.
import { ImapFlow } from 'imapflow';
import { Directory } from '../../src/directory/directory.ts';
import { fastCredentials } from '../support/passwords.ts';
import { ENGINES } from '../engines.ts';
import { freePortOffset, killProcessTree, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { python } from './python.ts';
import { MAIL01_ADDRESS, MAIL02_ADDRESS, setupTwoServers } from '../support/two-servers.ts';

export const PASSWORD = 'Two-Sites-2026';
export const ADDRESS = { MAIL01: MAIL01_ADDRESS, MAIL02: MAIL02_ADDRESS } as const;
export type ServerName = keyof typeof ADDRESS;

export interface TwoServersOptions {
  /** Run the smtp service on both servers, its receive connectors bound to the server's own address. */
  smtp?: boolean;
}

export interface ServerProcess {
  name: ServerName;
  offset: number;
  data: { path: string; cleanup: () => void };
  processes: RunningServer[];
}

export class TwoServers {
  readonly servers: Record<ServerName, ServerProcess>;

  private constructor(
    readonly dir: Directory, private readonly pg: { url?: string; cleanup: () => Promise<void> }, offsets: Record<ServerName, number>,
    private readonly options: TwoServersOptions,
  ) {
    this.servers = {
      MAIL01: { name: 'MAIL01', offset: offsets.MAIL01, data: tempDataDir('mailroom-proxy-1-'), processes: [] },
      MAIL02: { name: 'MAIL02', offset: offsets.MAIL02, data: tempDataDir('mailroom-proxy-2-'), processes: [] },
    };
  }

  static async create(options: TwoServersOptions = {}): Promise<TwoServers> {
    const pg = await ENGINES.find((e) => e.name === 'postgres')!.open();
    const dir = await Directory.openWith(pg.db);
    await setupTwoServers(dir, { mail02Site: 'Site-B' });
    for (const server of ['MAIL01', 'MAIL02'] as const) {
      const at = ADDRESS[server];
      await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: [`${at}:143`], SSLBindings: [`${at}:993`] }, server);
      await dir.updateSettings('PopSettings', { UnencryptedOrTLSBindings: [`${at}:110`], SSLBindings: [`${at}:995`] }, server);
      for (const service of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType(server, service, 'Automatic');
      await dir.setServiceStartupType(server, 'web', 'Disabled');
      await dir.setServiceStartupType(server, 'smtp', options.smtp ? 'Automatic' : 'Disabled');
      if (options.smtp) {
        for (const [connector, port] of [['Default Frontend', 25], ['Client Frontend', 587], ['Client Frontend Secure', 465]] as const) {
          await dir.updateReceiveConnector(`${connector} ${server}`, { Bindings: [`${at}:${port}`] });
        }
      }
    }
    const credentials = await fastCredentials(PASSWORD);
    await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials });
    await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', database: 'Mailbox Database MAIL02', credentials });
    await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared', database: 'Mailbox Database MAIL02' });
    await dir.addMailboxPermission('sales', 'alice', 'FullAccess');
    const offsets = { MAIL01: await freePortOffset(), MAIL02: 0 };
    do offsets.MAIL02 = await freePortOffset(); while (offsets.MAIL02 === offsets.MAIL01);
    return new TwoServers(dir, pg, offsets, options);
  }

  /** `mailroom start --server NAME [--role ROLE]`, waiting for its ready line. */
  async start(name: ServerName, role: 'all' | 'frontend' | 'backend' = 'all'): Promise<RunningServer> {
    const server = this.servers[name];
    const running = await startMailroom(['start', '--server', name, '--role', role], {
      MAILROOM_DIRECTORY: this.pg.url!, MAILROOM_DATA: server.data.path, MAILROOM_PORT_OFFSET: String(server.offset),
    });
    server.processes.push(running);
    return running;
  }

  /** Stops every process of a server (SIGTERM, or SIGKILL as a crash). */
  async stop(name: ServerName, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const server = this.servers[name];
    const all = server.processes.splice(0);
    await Promise.all(all.map((p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        // A crash of the server: its supervisor and both of its processes at once (killed
        // alone, the supervisor's processes would see it go and stop in good order).
        if (signal === 'SIGKILL') killProcessTree(p.child.pid!, signal);
        else p.child.kill(signal);
      }
      return p.stop();
    }));
  }

  /** Resolves once every process of both servers has reported its proxy ports (and, with smtp, its delivery port) in the directory. */
  async heartbeats(): Promise<void> {
    const services = this.options.smtp ? ['imap4-backend', 'pop3-backend', 'smtp-backend'] : ['imap4-backend', 'pop3-backend'];
    for (let i = 0; i < 100; i++) {
      const servers = await this.dir.servers();
      if (servers.every((s) => services.every((service) => /:\d+/.test(s.status?.[service] ?? '')))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the servers did not report their proxy ports');
  }

  port(name: ServerName, base: number): number {
    return base + this.servers[name].offset;
  }

  imap(via: ServerName, user: string, options: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}): ImapFlow {
    return new ImapFlow({
      host: ADDRESS[via], port: this.port(via, 993), secure: true, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false },
      logger: false, connectionTimeout: 10_000, greetingTimeout: 10_000, ...options,
    });
  }

  /** python3's poplib over implicit TLS to a server's front end: the script's JSON output. */
  async poplib(via: ServerName, script: string, args: string[] = []): Promise<unknown> {
    const prelude = `
import json, poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def connect(user):
    p = poplib.POP3_SSL(sys.argv[1], int(sys.argv[2]), context=ctx, timeout=15)
    p.user(user)
    p.pass_(sys.argv[3])
    return p
`;
    return JSON.parse(await python(`${prelude}\n${script}`, [ADDRESS[via], String(this.port(via, 995)), PASSWORD, ...args]));
  }

  async close(): Promise<void> {
    await this.stop('MAIL01');
    await this.stop('MAIL02');
    await this.dir.close();
    await this.pg.cleanup();
    this.servers.MAIL01.data.cleanup();
    this.servers.MAIL02.data.cleanup();
  }
}
