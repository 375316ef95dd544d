// The servers the SMTP delivery benchmark sends to, each in temporary folders, on loopback ports:
//
//   Mailroom:  `mailroom setup`, mailboxes created through the directory API, then the real
//              `mailroom start` (smtp service only; web off) with server-preload.mjs loaded into
//              it for DNS answers from a table (the server has no resolver setting of its own).
//              Inbound mail arrives on the "Default Frontend" connector (port 25 + the offset,
//              anonymous, its defaults otherwise). Two of them can run: checks on (SPF, DKIM,
//              DMARC, ARC through mailauth, as shipped) and checks off (mailauth stubbed).
//   Dovecot:   a private instance (its own dovecot.conf, base_dir and log) that only speaks LMTP,
//              with passwd-file users and maildirs, run with `dovecot -F`. It is the store behind
//              Postfix, and is measured directly (LMTP clients) as the reference for the store side.
//   Postfix:   a private instance (its own main.cf/master.cf, queue and data directories, log
//              file; `postfix -c DIR start-fg`) whose smtpd listens on a free loopback port and
//              hands every message for contoso.com to Dovecot over LMTP (virtual_transport).
//              Postfix acknowledges a message once it is in its queue (fsynced) and delivers after,
//              so its round ends when the last message is in a maildir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { dovecotAvailable, mailOwner, privateInstanceSettings } from '../support/dovecot.ts';
import { benchIdOf } from './corpus.ts';
import { freePort, stopChild } from '../support/processes.ts';

export { dovecotAvailable };

export const DOMAIN = 'contoso.com';

export interface Target {
  /** Short key for message ids and options: mailroom, mailroom-nochecks, postfix, lmtp. */
  key: string;
  name: string;
  /** What was measured, in words, for the report. */
  config: string;
  version: string;
  port: number;
  lmtp: boolean;
  /** The recipient addresses, one per mailbox. */
  recipients: string[];
  /** False when the server acknowledges before the message is in the mailbox (Postfix's queue). */
  storesBeforeReply: boolean;
  /** Process ids whose trees make up the server, for CPU accounting. */
  pids(): number[];
  /** Messages in the target's mailboxes now (only where storesBeforeReply is false). */
  storedCount?(): number;
  /** Lines of the server's logs that report problems. */
  problems(): string[];
  stop(): Promise<void>;
  /** After stop(): the X-Bench-Id of every stored message, by recipient address (lower case). */
  stored(): Promise<{ byRecipient: Map<string, string[]>; notes: string[] }>;
  cleanup(): void;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'mailroom.js');
const PRELOAD = pathToFileURL(join(import.meta.dirname, 'server-preload.mjs')).href;

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
  });
}

/** A MAILROOM_PORT_OFFSET at which the SMTP ports (and the 2525 mail delivery port) are free on loopback. */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 5000 + Math.floor(Math.random() * 25000); // below the kernel's ephemeral ports (32768 and up)
    let ok = true;
    for (const p of [25, 587, 465, 2525]) if (!(await portFree(p + offset))) ok = false;
    if (ok) return offset;
  }
  throw new Error('no free port offset found');
}

/** Resolves once the port greets with a 220 line containing `banner` (ours, not another server's). */
async function greeted(port: number, banner: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.setTimeout(1000, () => (s.destroy(), res(false)));
      s.once('data', (d) => {
        s.end('QUIT\r\n');
        s.destroy();
        res(d.toString().startsWith('220') && d.toString().includes(banner));
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no greeting with "${banner}" on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


const tail = (file: string, bytes = 4000) => {
  try {
    return readFileSync(file, 'utf8').slice(-bytes);
  } catch {
    return '';
  }
};

const uniqueTag = () => randomBytes(5).toString('hex');

// --- Mailroom --------------------------------------------------------------------------------

export interface MailroomOptions {
  checks: boolean;
  mailboxes: number;
  senders: number;
  /** The DNS table for the server's resolver stub. */
  dns: Record<string, unknown[]>;
  logLevel: string;
}

export interface MailroomTarget extends Target {
  readonly pid: number;
  /** Stops the server and starts it again on the same data, with extra node options / environment. */
  restart(extra?: { nodeOptions?: string[]; env?: Record<string, string> }): Promise<void>;
  /** Where the server writes its log (stdout and stderr). */
  logFile: string;
}

export async function startMailroomTarget(options: MailroomOptions): Promise<MailroomTarget> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-smtp-bench-'));
  const offset = await freeOffset();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset), MAILROOM_LOG_LEVEL: options.logLevel,
  };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mailroom ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  };
  const server = 'BENCH01';
  const banner = `bench-${uniqueTag()}.${DOMAIN} Mailroom ESMTP`;
  cli('setup', '--organization', 'Bench', '--domain', DOMAIN, '--server', server, '--admin-password', 'Admin-Pass-2026');
  // Only the smtp service runs (POP3 and IMAP4 are off by default; the web service is turned off).
  cli('Set-Service', 'web', '-StartupType', 'Disabled');
  // Loopback only, and the one non-default for the load: 20 connections from one address are
  // exactly the default MaxInboundConnectionPerSource, so the limit gets room for a round's
  // connections to open while the last round's are still being counted out.
  const perSource = Math.max(40, options.senders * 2);
  cli('Set-ReceiveConnector', `Default Frontend ${server}`, '-Bindings', '127.0.0.1:25', '-Banner', `220 ${banner}`,
    '-MaxInboundConnectionPerSource', String(perSource), ...(perSource > 100 ? ['-MaxInboundConnectionPercentagePerSource', '100'] : []));
  cli('Set-ReceiveConnector', `Client Frontend ${server}`, '-Bindings', '127.0.0.1:587');
  cli('Set-ReceiveConnector', `Client Frontend Secure ${server}`, '-Bindings', '127.0.0.1:465');

  process.env.MAILROOM_DATA = data;
  const dir = await Directory.open();
  const databases = new MailboxDatabases(dir);
  const recipients: string[] = [];
  for (let i = 1; i <= options.mailboxes; i++) {
    const alias = `bench${String(i).padStart(2, '0')}`;
    const mailbox = await dir.createMailbox({ name: `Bench User ${i}`, alias });
    const store = await databases.storeFor(mailbox);
    if (!(await store.folders(mailbox.id)).some((f) => f.role === 'inbox')) throw new Error(`${alias} has no Inbox`);
    recipients.push(`${alias}@${DOMAIN}`);
  }
  await databases.closeAll();
  await dir.close();

  const logFile = join(data, 'server.log');
  let child: ChildProcess | null = null;
  let stopping = false;
  const start = async (extra: { nodeOptions?: string[]; env?: Record<string, string> } = {}) => {
    stopping = false;
    const out = openSync(logFile, 'a');
    const c = spawn(process.execPath, ['--import', PRELOAD, ...(extra.nodeOptions ?? []), BIN, 'start'], {
      env: {
        ...env,
        BENCH_SMTP_DNS: JSON.stringify(options.dns),
        BENCH_SMTP_CHECKS: options.checks ? 'on' : 'off',
        ...extra.env,
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child = c;
    c.once('exit', (code, signal) => {
      if (!stopping) console.error(`Mailroom exited during the run (code ${code}, signal ${signal}); last output:\n${tail(logFile)}`);
    });
    await greeted(25 + offset, banner).catch((err: Error) => {
      c.kill('SIGKILL');
      throw new Error(`Mailroom: ${err.message}; last output:\n${tail(logFile)}`);
    });
  };
  const stop = async () => {
    stopping = true;
    if (child) await stopChild(child);
    child = null;
  };
  await start();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    key: options.checks ? 'mailroom' : 'mailroom-nochecks',
    name: 'Mailroom',
    config: options.checks
      ? 'inbound checks on (SPF, DKIM, DMARC, ARC by mailauth; DNS answered at once by a stub in the process)'
      : 'inbound checks off (mailauth replaced by a stub that returns no verdict)',
    version: `${pkg.version} (Node ${process.versions.node})`,
    port: 25 + offset,
    lmtp: false,
    recipients,
    storesBeforeReply: true,
    logFile,
    get pid() {
      return child?.pid ?? -1;
    },
    pids: () => [child?.pid ?? -1],
    problems: () => readFileSafe(logFile).split('\n').filter((l) => /"level":(4|5|6)\d/.test(l) || /error|fatal/i.test(l) && !l.startsWith('{')),
    restart: async (extra) => {
      await stop();
      await start(extra);
    },
    stop,
    async stored() {
      process.env.MAILROOM_DATA = data;
      const d = await Directory.open();
      const dbs = new MailboxDatabases(d);
      const byRecipient = new Map<string, string[]>();
      const notes: string[] = [];
      let junk = 0;
      // What the inbound checks said, over every stored message: with the stub's records, each
      // of SPF, DKIM and DMARC should pass for all of them.
      const verdicts = new Map<string, number>();
      let failedSample = '';
      try {
        for (const address of recipients) {
          const mailbox = await d.requireMailbox(address.split('@')[0]!);
          const store = await dbs.storeFor(mailbox);
          const ids: string[] = [];
          for (const folder of await store.folders(mailbox.id)) {
            for (const m of await store.messages(folder.id)) {
              const raw = await store.readBlob(m.blobId);
              if (folder.role === 'junk') junk++;
              else if (folder.role !== 'inbox') continue;
              const id = benchIdOf(raw);
              if (id) ids.push(id);
              if (options.checks) {
                const results = /^Authentication-Results:[^\r\n]*(\r\n[ \t][^\r\n]*)*/m.exec(raw.toString('latin1'))?.[0].replace(/\r\n[ \t]+/g, ' ') ?? '';
                let allPass = results !== '';
                for (const method of ['spf', 'dkim', 'dmarc']) {
                  const verdict = new RegExp(`\\b${method}=(\\w+)`).exec(results)?.[1] ?? 'missing';
                  verdicts.set(`${method}=${verdict}`, (verdicts.get(`${method}=${verdict}`) ?? 0) + 1);
                  if (verdict !== 'pass') allPass = false;
                }
                if (!allPass && !failedSample) failedSample = `${id}: ${results || '(no Authentication-Results)'}`;
              }
            }
          }
          byRecipient.set(address.toLowerCase(), ids);
        }
      } finally {
        await dbs.closeAll();
        await d.close();
      }
      if (junk > 0) notes.push(`${junk} messages were delivered to Junk Email`);
      if (verdicts.size > 0) notes.push(`Authentication-Results: ${[...verdicts].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`);
      if (failedSample) notes.push(`first message where a check did not pass: ${failedSample}`);
      return { byRecipient, notes };
    },
    cleanup: () => rmSync(data, { recursive: true, force: true }),
  };
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// --- Dovecot (LMTP) --------------------------------------------------------------------------

export interface DovecotLmtp {
  version: string;
  port: number;
  readonly pid: number;
  home(address: string): string;
  problems(): string[];
  stop(): Promise<void>;
  cleanup(): void;
}

/** A private Dovecot that speaks only LMTP, for the given addresses (user@contoso.com). */
export async function startDovecotLmtp(addresses: string[]): Promise<DovecotLmtp> {
  const version = dovecotAvailable();
  if (!version) throw new Error('dovecot is not installed (apt-get install dovecot-lmtpd)');
  if (!existsSync('/usr/lib/dovecot/lmtp')) throw new Error('Dovecot\'s LMTP server is not installed (apt-get install dovecot-lmtpd)');
  const root = mkdtempSync(join(tmpdir(), 'dovecot-lmtp-bench-'));
  chmodSync(root, 0o755);
  const owner = mailOwner();
  const port = await freePort();
  const homeOf = (address: string) => join(root, 'home', address.split('@')[0]!);
  const passwd: string[] = [];
  for (const address of addresses) {
    const home = homeOf(address);
    mkdirSync(home, { recursive: true });
    chownSync(home, owner.uid, owner.gid);
    passwd.push(`${address}:{PLAIN}unused:${owner.uid}:${owner.gid}::${home}::`);
  }
  writeFileSync(join(root, 'passwd'), `${passwd.join('\n')}\n`);
  const hostname = `lmtp-${uniqueTag()}.bench.test`;
  const conf = join(root, 'dovecot.conf');
  // Defaults otherwise: mail_fsync = optimized (each saved message is fsynced before its 250),
  // one lmtp process per connection.
  writeFileSync(conf, [
    ...privateInstanceSettings(root),
    `hostname = ${hostname}`,
    'protocols = lmtp',
    'ssl = no',
    `service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = ${port}\n  }\n}`,
    'service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}',
    'service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}',
    '',
  ].join('\n'));
  mkdirSync(join(root, 'state'), { recursive: true });
  const log = join(root, 'dovecot.log');
  const child = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`Dovecot exited during the run (code ${code}, signal ${signal}); last log:\n${tail(log)}`);
  });
  await greeted(port, hostname).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`Dovecot: ${err.message}; log:\n${tail(log)}`);
  });
  return {
    version,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    home: homeOf,
    problems: () => readFileSafe(log).split('\n').filter((l) => /warning|error|fatal|panic/i.test(l) && !/Killed with signal 15/.test(l)),
    stop: async () => {
      stopping = true;
      await stopChild(child);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

function maildirFiles(home: string): string[] {
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    const dir = join(home, 'Maildir', sub);
    try {
      for (const name of readdirSync(dir)) out.push(join(dir, name));
    } catch {
      // not created yet: nothing delivered
    }
  }
  return out;
}

function maildirCount(home: string): number {
  let n = 0;
  for (const sub of ['new', 'cur']) {
    try {
      n += readdirSync(join(home, 'Maildir', sub)).length;
    } catch {
      // nothing delivered yet
    }
  }
  return n;
}

async function maildirStored(dovecot: DovecotLmtp, recipients: string[]) {
  const byRecipient = new Map<string, string[]>();
  for (const address of recipients) {
    byRecipient.set(address.toLowerCase(), maildirFiles(dovecot.home(address)).map((f) => benchIdOf(readFileSync(f)) ?? '(no id)'));
  }
  return { byRecipient, notes: [] as string[] };
}

/** Dovecot's LMTP server measured directly: the store side of Postfix + Dovecot. */
export function dovecotLmtpTarget(dovecot: DovecotLmtp, recipients: string[]): Target {
  return {
    key: 'lmtp',
    name: 'Dovecot LMTP',
    config: 'LMTP straight into Dovecot (no MTA in front): the store side of Postfix + Dovecot',
    version: dovecot.version.replace(/ \(.*\)$/, ''),
    port: dovecot.port,
    lmtp: true,
    recipients,
    storesBeforeReply: true,
    pids: () => [dovecot.pid],
    problems: () => dovecot.problems(),
    stop: async () => undefined,
    stored: async () => maildirStored(dovecot, recipients),
    cleanup: () => undefined,
  };
}

// --- Postfix ---------------------------------------------------------------------------------

export function postfixAvailable(): { version: string } | { missing: string } {
  const r = spawnSync('postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' });
  if (r.status !== 0) return { missing: 'Postfix is not installed: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix' };
  if (userInfo().uid !== 0) return { missing: 'Postfix\'s master must be started as root (it drops to its mail_owner); run the benchmark as root to include it' };
  return { version: `Postfix ${r.stdout.trim()}` };
}

const MASTER_CF = `# service type private unpriv chroot wakeup maxproc command
smtp      unix  -       -       n       -       -       smtp
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export async function startPostfixTarget(dovecot: DovecotLmtp, recipients: string[], version: string): Promise<Target> {
  const root = mkdtempSync(join(tmpdir(), 'postfix-bench-'));
  chmodSync(root, 0o755);
  const [config, queue, data] = ['config', 'queue', 'data'].map((d) => join(root, d)) as [string, string, string];
  for (const d of [config, queue, data]) mkdirSync(d);
  const postfixUser = spawnSync('getent', ['passwd', 'postfix'], { encoding: 'utf8' }).stdout.split(':');
  chownSync(data, Number(postfixUser[2]), Number(postfixUser[3]));
  const port = await freePort();
  const log = join(root, 'postfix.log');
  const banner = `mx-${uniqueTag()}.bench.test`;
  // Defaults otherwise (compatibility level 3.6): no TLS, no milters, no SPF/DKIM policy
  // service — a stock Postfix does not check inbound mail. The client (127.0.0.1) is kept out
  // of mynetworks, so it is an Internet client as it is for Mailroom.
  writeFileSync(join(config, 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${queue}`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `myhostname = ${banner}`,
    'mydomain = bench.test',
    'myorigin = $myhostname',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 192.0.2.0/24',
    `virtual_mailbox_domains = ${DOMAIN}`,
    `virtual_mailbox_maps = inline:{ ${recipients.map((r) => `${r}=ok`).join(', ')} }`,
    `virtual_transport = lmtp:inet:127.0.0.1:${dovecot.port}`,
    'alias_maps =',
    'alias_database =',
    'biff = no',
    `maillog_file = ${log}`,
    `maillog_file_prefixes = ${root}`,
    `smtpd_banner = $myhostname ESMTP`,
    '',
  ].join('\n'));
  writeFileSync(join(config, 'master.cf'), `127.0.0.1:${port} inet n - n - - smtpd\n${MASTER_CF}`);
  // Creates the queue's subdirectories with their owners and modes.
  const check = spawnSync('postfix', ['-c', config, 'check'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`postfix check failed (${check.status}): ${check.stderr}${tail(log)}`);
  // Its output goes to maillog_file; the script's own "Terminated" at the stop is not wanted on the console.
  const child = spawn('postfix', ['-c', config, 'start-fg'], { stdio: 'ignore' });
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`Postfix exited during the run (code ${code}, signal ${signal}); last log:\n${tail(log)}`);
  });
  await greeted(port, banner).catch((err: Error) => {
    spawnSync('postfix', ['-c', config, 'stop']);
    child.kill('SIGKILL');
    throw new Error(`Postfix: ${err.message}; log:\n${tail(log)}`);
  });
  return {
    key: 'postfix',
    name: 'Postfix + Dovecot LMTP',
    config: 'Postfix smtpd → queue (fsync) → lmtp client → Dovecot LMTP → maildir (fsync); no inbound checks',
    version: `(${version}, Dovecot ${dovecot.version.replace(/ \(.*\)$/, '')})`,
    port,
    lmtp: false,
    recipients,
    storesBeforeReply: false,
    pids: () => [child.pid ?? -1, dovecot.pid],
    storedCount: () => recipients.reduce((n, r) => n + maildirCount(dovecot.home(r)), 0),
    problems: () => readFileSafe(log).split('\n').filter((l) => /warning|error|fatal|panic/i.test(l) && !/not owned by postfix/.test(l)),
    stop: async () => {
      stopping = true;
      spawnSync('postfix', ['-c', config, 'stop'], { encoding: 'utf8' });
      await stopChild(child);
    },
    stored: async () => maildirStored(dovecot, recipients),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
