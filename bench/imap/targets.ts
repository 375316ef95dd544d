// The two IMAP servers under test, set up from the same corpus in temporary folders and run as
// their own processes on loopback ports. This follows bench/pop3/targets.ts (same seeding: the
// store API for Mailroom, maildirs with the same bytes for Dovecot) but cannot import it as is:
// IMAP needs other services and settings, higher connection limits for the idle test, and the
// server's process id for the memory figures. What the benchmarks share is in bench/support
// (process and Dovecot helpers).
//   Mailroom: `mailroom setup`, the IMAP4 services enabled with Set-Service, messages appended
//             through the store API, then `mailroom start`.
//   Dovecot:  a private instance (its own dovecot.conf, base_dir and log) with passwd-file users
//             and maildirs holding the same bytes, run with `dovecot -F`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentialsFor } from '../../src/auth/credentials.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { encodeMailboxUtf7 } from '../../src/imap/protocol/utf7.ts';
import { ImapClient, quoted } from './client.ts';
import { chownTree, dovecotAvailable, mailOwner, privateInstanceSettings } from '../support/dovecot.ts';
import type { ImapUser } from './corpus.ts';
import { freePort, stopChild } from '../support/processes.ts';

export { dovecotAvailable };

export interface Target {
  name: string;
  version: string;
  plainPort: number;
  tlsPort: number;
  /** The server's top process: Mailroom's node process, Dovecot's master. */
  readonly pid: number;
  /** Where the server keeps its mail and indexes (for disk figures). */
  dataDir: string;
  /** Stops the server and starts it again on the same data (a fresh process). */
  restart(): Promise<void>;
  /** Lines of the server's own log that report problems (Dovecot's log file, Mailroom's output). */
  problems(): string[];
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** Users with their own password each (the mixed workload and the logon test). */
  users: ImapUser[];
  /** Users sharing one password (the idle and push tests), so seeding hashes it once. */
  idleUsers: ImapUser[];
  /** Connections the server must be willing to hold at once. */
  maxConnections: number;
  /**
   * Appends seeding one Mailroom mailbox may have in flight (1 unless given), whatever folders they
   * go to: queued together they share a commit, and they are queued in corpus order, so each
   * folder's UIDs still follow it.
   */
  seedConcurrency?: number;
  /**
   * Dovecot keeps verified logons for a minute (auth_cache_size, auth_cache_ttl = 60 s), as
   * Mailroom keeps its verifications: for measures where logons repeat (imaptest's stress mix
   * logs out and on all the time), so that both hash a password once a minute, not once a logon.
   */
  dovecotAuthCache?: boolean;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'mailroom.js');
/** Seeded messages get consecutive internal dates from here, in both servers. */
const FIRST_DATE = Date.UTC(2026, 10, 20, 8, 0, 0);

/**
 * Resolves once the port sends an IMAP greeting with our banner. Test runs on the same machine
 * start servers on free ports too; the banner tells ours from one that took a port first.
 */
async function greeted(port: number, banner: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.setTimeout(1000, () => (s.destroy(), res(false)));
      s.once('data', (d) => (s.destroy(), res(d.toString().startsWith('* OK') && d.toString().includes(banner))));
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no IMAP greeting with "${banner}" on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


/** Resolves once a LOGIN through `port` succeeds (a front end whose back end is up). */
async function loggedOnThrough(port: number, user: ImapUser, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = await ImapClient.connect({ port, tls: false }).catch(() => null);
    const ok = client ? await client.ok(`LOGIN ${quoted(user.name)} ${quoted(user.password)}`).then(() => true, () => false) : false;
    client?.destroy();
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no logon through port ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts a server with its file-descriptor limit raised to `fds` where the hard limit allows
 * (root with CAP_SYS_RESOURCE may raise the hard limit too; otherwise the hard limit is the
 * ceiling): 10,000 connections need more than the usual 1,024, and Dovecot's log, anvil and
 * auth processes hold a descriptor per client process. `exec` keeps the server's pid.
 */
function spawnWithFdLimit(fds: number, command: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const script = `ulimit -H -n ${fds} 2>/dev/null; ulimit -n ${fds} 2>/dev/null || ulimit -n "$(ulimit -H -n)"; exec "$@"`;
  return spawn('sh', ['-c', script, 'sh', command, ...args], options);
}

/** Runs `fn` over the items with at most `limit` at once. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A greeting no other server on the machine sends. */
const uniqueBanner = (name: string) => `${name} IMAP benchmark ${randomBytes(6).toString('hex')} ready.`;

/**
 * A server's process, started again on demand with the same data: each idle measure starts
 * from a fresh server, so memory left over from an earlier measure (a Node heap that has grown
 * and not shrunk) is not taken for memory the new connections need. Says so at once if the
 * server dies during the run: a crash is a finding, not noise.
 */
class ServerProcess {
  private child: ChildProcess | null = null;
  private stopping = false;

  constructor(
    private readonly name: string,
    private readonly lastOutput: () => string,
    private readonly launch: () => Promise<ChildProcess>,
    private readonly ready: () => Promise<void>,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const child = await this.launch();
    this.child = child;
    child.once('exit', (code, signal) => {
      if (!this.stopping) console.error(`${this.name} exited during the run (code ${code}, signal ${signal}); last output:\n${this.lastOutput()}`);
    });
    await this.ready().catch((err: Error) => {
      child.kill();
      throw new Error(`${this.name}: ${err.message}; last output:\n${this.lastOutput()}`);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child) await stopChild(this.child);
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

const fdsFor = (maxConnections: number) => Math.max(4096, maxConnections * 2 + 2048);

// --- Mailroom --------------------------------------------------------------------------------

/**
 * How Mailroom runs: `all` is `start --single-process`, one process (the front end hands a
 * logged-on session to the back end in-process); `proxied` is `start` as an admin runs it, a
 * front-end process and a back-end process, the front end reaching the back end over the local
 * link (a Unix socket); `proxied-tls` is the same with MAILROOM_LOCAL_LINK=off, the front end
 * reaching the back end over its proxy port (1993 + offset, mutual TLS, resumed sessions) as it
 * does across servers. The two processes are children of the supervisor, so the CPU and memory
 * figures count both.
 */
export type MailroomLayout = 'all' | 'proxied' | 'proxied-tls';

const LAYOUT_NAMES: Record<MailroomLayout, string> = { all: 'Mailroom', proxied: 'Mailroom proxied', 'proxied-tls': 'Mailroom proxied over TLS' };

export async function startMailroomTarget(options: TargetOptions, layout: MailroomLayout = 'all'): Promise<Target> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-imap-bench-'));
  // The ports are the defaults plus an offset, as MAILROOM_PORT_OFFSET works.
  const plain = await freePort();
  const offset = plain - 143;
  const env = { ...process.env, MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset), MAILROOM_LOG_LEVEL: 'warn' };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mailroom ${args.join(' ')}: ${r.stderr}`);
  };
  // The FQDN is where other processes reach this server's back end: loopback here.
  cli('setup', '--organization', 'Bench', '--domain', 'contoso.com', '--server', 'BENCH01', '--fqdn', '127.0.0.1', '--admin-password', 'Admin-Pass-2026');
  // LOGIN in clear on 143 (the load client does not STARTTLS), and no per-user cap: the idle
  // test puts several connections on each mailbox, as Dovecot's is raised below.
  const banner = uniqueBanner('Mailroom');
  // Every client is on 127.0.0.1: the per-address limit (2,000 by default, docs/security.md)
  // would refuse the push test's deliveries behind its 2,000 idle connections.
  cli('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993', '-LoginType', 'PlainTextLogin',
    '-MaxConnectionsPerUser', String(options.maxConnections), '-MaxConnectionFromSingleIP', '1000000', '-Banner', banner);
  cli('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  // The proxy port on loopback only, as the other ports.
  if (layout !== 'all') cli('Set-ImapSettings', '-ProxyTargetPort', '1993');
  // Only IMAP4 runs: nothing else competes for the CPU, or for ports near the offset.
  cli('Set-Service', 'smtp,web', '-StartupType', 'Disabled');

  process.env.MAILROOM_DATA = data;
  const dir = await Directory.open();
  const databases = new MailboxDatabases(dir);
  // The idle users share one password, so one scrypt hash serves them all.
  const shared = new Map<string, Awaited<ReturnType<typeof credentialsFor>>>();
  const credentials = async (password: string, share: boolean) => {
    if (!share) return credentialsFor(password);
    if (!shared.has(password)) shared.set(password, await credentialsFor(password));
    return shared.get(password)!;
  };
  const seed = async (user: ImapUser, share: boolean) => {
    const mailbox = await dir.createMailbox({ name: user.name, alias: user.name, credentials: await credentials(user.password, share) });
    const store = await databases.storeFor(mailbox);
    // Folders Mailroom gives every mailbox (Sent Items and so on) are there already.
    const folderIds: number[] = [];
    for (const name of ['INBOX', ...(user.folders ?? [])]) {
      folderIds.push(((await store.folder(mailbox.id, name)) ?? (await store.createFolder(mailbox.id, name))).id);
    }
    // In corpus order, so UIDs follow it (as in the maildirs); a window of appends in flight
    // is started in that order and queued for the commit in it.
    const window = options.seedConcurrency ?? 1;
    const inFlight: Promise<unknown>[] = [];
    for (const [i, raw] of user.messages.entries()) {
      const flags = [...(user.flagged?.[i] ? ['\\Flagged'] : []), ...(user.seen[i] ? ['\\Seen'] : [])];
      inFlight.push(store.append(folderIds[user.folderOf?.[i] ?? 0]!, { raw, flags, internalDate: new Date(FIRST_DATE + i * 1000) }));
      if (inFlight.length >= window) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
  };
  // Mailboxes side by side: appends queued together share a commit (the store's group commit).
  await inParallel(options.users, 8, (u) => seed(u, false));
  await inParallel(options.idleUsers, 16, (u) => seed(u, true));
  await databases.closeAll();
  await dir.close();

  // BENCH_MAILROOM_NODE_OPTIONS reaches only the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeOptions = process.env.BENCH_MAILROOM_NODE_OPTIONS;
  let output = '';
  const node = [process.execPath, ...(nodeOptions ? nodeOptions.split(' ') : [])];
  const name = LAYOUT_NAMES[layout];
  const server = new ServerProcess(name, () => output, async () => {
    // The supervisor's two processes are its children, so the process tree counts both.
    const start = layout === 'all' ? ['start', '--single-process'] : ['start'];
    const childEnv = layout === 'proxied-tls' ? { ...env, MAILROOM_LOCAL_LINK: 'off' } : env;
    const child = spawnWithFdLimit(fdsFor(options.maxConnections), node[0]!, [...node.slice(1), BIN, ...start], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    return child;
  }, async () => {
    await greeted(143 + offset, banner);
    // The front end greets before the back end listens: wait for a logon to get through.
    if (layout !== 'all') await loggedOnThrough(143 + offset, options.users[0]!);
  });
  await server.start();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    name,
    version: `${pkg.version} (Node ${process.versions.node})`,
    plainPort: 143 + offset,
    tlsPort: 993 + offset,
    dataDir: data,
    get pid() {
      return server.pid;
    },
    problems: () => output.split('\n').filter((l) => /error|fatal|warn/i.test(l)),
    restart: () => server.restart(),
    async stop() {
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// --- Dovecot ---------------------------------------------------------------------------------

/** Dovecot's IDLE watches the maildir with inotify: one instance per imap process, per uid. */
export function inotifyInstanceLimit(): number | null {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim());
  } catch {
    return null;
  }
}

const hashes = new Map<string, string>();

/**
 * The password as a Dovecot install stores it: `doveadm pw` with its default scheme (bcrypt in
 * 2.3), so a logon costs Dovecot a real hash check as it costs Mailroom (scrypt). One hash per
 * distinct password: the idle users share theirs.
 */
function dovecotHash(password: string): string {
  let hash = hashes.get(password);
  if (!hash) {
    const r = spawnSync('doveadm', ['pw', '-p', password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`doveadm pw: ${r.stderr}`);
    hash = r.stdout.trim();
    hashes.set(password, hash);
  }
  return hash;
}

/**
 * Where a folder's maildir is under ~/Maildir in Dovecot's Maildir++ layout: INBOX is the top,
 * another folder `.` + its name in modified UTF-7 (as Dovecot stores names unless told UTF-8),
 * levels joined with '.'.
 */
function maildirFolder(name: string): string {
  if (name === 'INBOX') return '';
  if (name.includes('.')) throw new Error(`folder '${name}': Maildir++ cannot hold a '.' in a folder name`);
  return `.${encodeMailboxUtf7(name).replaceAll('/', '.')}`;
}

export async function startDovecotTarget(options: TargetOptions): Promise<Target> {
  const version = dovecotAvailable();
  if (!version) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  const root = mkdtempSync(join(tmpdir(), 'dovecot-imap-bench-'));
  chmodSync(root, 0o755);
  const owner = mailOwner();
  const [plainPort, tlsPort] = [await freePort(), await freePort()];

  // Maildirs with exactly the bytes Mailroom stores (CRLF line ends); S= and W= give the sizes
  // so Dovecot need not read a file to answer RFC822.SIZE, as a delivered maildir would; the
  // flags are in the name (":2,S" for \Seen) and the internal date is the file's mtime.
  const passwd: string[] = [];
  for (const user of [...options.users, ...options.idleUsers]) {
    const home = join(root, 'home', user.name);
    const folderDirs = ['INBOX', ...(user.folders ?? [])].map((name) => join(home, 'Maildir', maildirFolder(name)));
    for (const dir of folderDirs) {
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    }
    for (const [i, raw] of user.messages.entries()) {
      const name = `${1795000000 + i}.M${i}P1.bench,S=${raw.length},W=${raw.length}:2,${user.flagged?.[i] ? 'F' : ''}${user.seen[i] ? 'S' : ''}`;
      const path = join(folderDirs[user.folderOf?.[i] ?? 0]!, 'cur', name);
      writeFileSync(path, raw);
      const date = new Date(FIRST_DATE + i * 1000);
      utimesSync(path, date, date);
    }
    passwd.push(`${user.name}:${dovecotHash(user.password)}:${owner.uid}:${owner.gid}::${home}::`);
  }
  chownTree(join(root, 'home'), owner.uid, owner.gid);
  writeFileSync(join(root, 'passwd'), `${passwd.join('\n')}\n`);

  const cert = await createSelfSignedCertificate(['localhost']);
  writeFileSync(join(root, 'cert.pem'), cert.certPem);
  writeFileSync(join(root, 'key.pem'), cert.keyPem, { mode: 0o600 });
  // Defaults otherwise; only the limits that would refuse the idle test's connections are
  // raised. Dovecot runs one imap process per session (client_limit 1), and with the default
  // high-security login (service_count 1) one imap-login process per connection until logon,
  // and for TLS for the whole session (it proxies the decrypted stream).
  const processes = options.maxConnections + 500;
  const banner = uniqueBanner('Dovecot');
  const conf = join(root, 'dovecot.conf');
  writeFileSync(conf, [
    ...privateInstanceSettings(root),
    'protocols = imap',
    `login_greeting = ${banner}`,
    'ssl = yes',
    `ssl_cert = <${root}/cert.pem`,
    `ssl_key = <${root}/key.pem`,
    'disable_plaintext_auth = no',
    // '/' between levels of IMAP folder names, as Mailroom; on disk Maildir++ still joins them with '.'.
    'namespace inbox {\n  inbox = yes\n  separator = /\n}',
    'auth_mechanisms = plain',
    // Every imap and imap-login process keeps a connection to log, anvil, stats and so on.
    `default_client_limit = ${processes + 1000}`,
    // The default 256 MB of address space per process ends the imap process that builds the
    // index of a folder of 1,000,000 messages (bench/imap/large.ts).
    'default_vsz_limit = 4G',
    ...(options.dovecotAuthCache ? ['auth_cache_size = 10M', 'auth_cache_ttl = 60 s'] : []),
    `protocol imap {\n  mail_max_userip_connections = ${options.maxConnections}\n}`,
    `service imap-login {\n  inet_listener imap {\n    port = ${plainPort}\n  }\n  inet_listener imaps {\n    port = ${tlsPort}\n    ssl = yes\n  }\n  process_limit = ${processes}\n}`,
    `service imap {\n  process_limit = ${processes}\n}`,
    'service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}',
    '',
  ].join('\n'));
  mkdirSync(join(root, 'state'), { recursive: true });
  const log = join(root, 'dovecot.log');
  const tail = () => {
    try {
      return readFileSync(log, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  const server = new ServerProcess('Dovecot', tail, async () =>
    spawnWithFdLimit(fdsFor(options.maxConnections), 'dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] }),
  () => greeted(plainPort, banner));
  await server.start();
  return {
    name: 'Dovecot',
    version,
    plainPort,
    tlsPort,
    dataDir: root,
    get pid() {
      return server.pid;
    },
    problems: () => {
      try {
        // (The restarts' own "Killed with signal 15" is not a problem.)
        return readFileSync(log, 'utf8').split('\n').filter((l) => /warning|error|fatal|panic/i.test(l) && !/Killed with signal 15/.test(l));
      } catch {
        return [];
      }
    },
    restart: () => server.restart(),
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
