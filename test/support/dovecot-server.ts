// A private Dovecot IMAP server for migration tests: passwd-file users (bcrypt as `doveadm pw`
// makes it), optional master users (`user*master` logons and SASL PLAIN with an authzid), a
// self-signed certificate for IMAPS and STARTTLS, special-use folders, and maildirs that the
// test may fill in advance (an export that Dovecot should read). Run as `dovecot -F`, stopped
// by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { chownTree, dovecotAvailable, mailOwner, privateInstanceSettings } from '../../bench/support/dovecot.ts';
import { freePort, stopChild } from '../../bench/support/processes.ts';

export { dovecotAvailable };

export interface DovecotUser {
  name: string;
  password: string;
  /** A maildir to copy in as the user's mail before Dovecot starts. */
  maildir?: string;
}

export interface DovecotOptions {
  users: DovecotUser[];
  /** Master users, who log on as `user*master` or with SASL PLAIN authzid=user. */
  masters?: { name: string; password: string }[];
  /** The IMAP hierarchy separator of the inbox namespace (Dovecot's default for maildir is '.'). */
  separator?: '.' | '/';
}

export interface DovecotServer {
  plainPort: number;
  tlsPort: number;
  certPem: string;
  /** SHA-256 fingerprint of the certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  maildir(user: string): string;
  log(): string;
  stop(): Promise<void>;
}

async function greeted(port: number, banner: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.setTimeout(1000, () => (s.destroy(), res(false)));
      s.once('data', (d) => (s.destroy(), res(d.toString().includes(banner))));
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no Dovecot greeting on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hash(password: string): string {
  const r = spawnSync('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-p', password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`doveadm pw: ${r.stderr}`);
  return r.stdout.trim();
}

export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
  if (!dovecotAvailable()) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  const root = mkdtempSync(join(tmpdir(), 'mailroom-dovecot-'));
  chmodSync(root, 0o755);
  const owner = mailOwner();
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const passwd: string[] = [];
  const homes = new Map<string, string>();
  for (const user of options.users) {
    const home = join(root, 'home', user.name);
    mkdirSync(home, { recursive: true });
    if (user.maildir) cpSync(user.maildir, join(home, 'Maildir'), { recursive: true, preserveTimestamps: true });
    homes.set(user.name, home);
    passwd.push(`${user.name}:${hash(user.password)}:${owner.uid}:${owner.gid}::${home}::`);
  }
  chownTree(join(root, 'home'), owner.uid, owner.gid);
  writeFileSync(join(root, 'passwd'), `${passwd.join('\n')}\n`);
  writeFileSync(join(root, 'masters'), (options.masters ?? []).map((m) => `${m.name}:${hash(m.password)}\n`).join(''));
  const cert = await createSelfSignedCertificate(['localhost']);
  writeFileSync(join(root, 'cert.pem'), cert.certPem);
  writeFileSync(join(root, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const fingerprint = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(root, 'cert.pem')], { encoding: 'utf8' })
    .stdout.trim().split('=')[1] ?? '';
  const banner = `Dovecot migration test ${randomBytes(6).toString('hex')} ready.`;
  const conf = join(root, 'dovecot.conf');
  writeFileSync(conf, [
    // The master passdb comes first: `user*master` is looked up there, then the user in the next.
    'auth_master_user_separator = *',
    `passdb {\n  driver = passwd-file\n  master = yes\n  args = ${root}/masters\n  result_success = continue\n}`,
    ...privateInstanceSettings(root),
    'protocols = imap',
    `login_greeting = ${banner}`,
    'ssl = yes',
    `ssl_cert = <${root}/cert.pem`,
    `ssl_key = <${root}/key.pem`,
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    'mail_max_userip_connections = 100',
    [
      'namespace inbox {',
      '  inbox = yes',
      `  separator = ${options.separator ?? '.'}`,
      '  mailbox Sent {\n    special_use = \\Sent\n  }',
      '  mailbox Trash {\n    special_use = \\Trash\n  }',
      '  mailbox Drafts {\n    special_use = \\Drafts\n  }',
      '  mailbox Junk {\n    special_use = \\Junk\n  }',
      '  mailbox Archive {\n    special_use = \\Archive\n  }',
      '}',
    ].join('\n'),
    `service imap-login {\n  inet_listener imap {\n    port = ${plainPort}\n  }\n  inet_listener imaps {\n    port = ${tlsPort}\n    ssl = yes\n  }\n}`,
    'service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}',
    '',
  ].join('\n'));
  mkdirSync(join(root, 'state'), { recursive: true });
  const logPath = join(root, 'dovecot.log');
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-6000) : '');
  const child = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await greeted(plainPort, banner, child, () => `${stderr}\n${log()}`);
  return {
    plainPort,
    tlsPort,
    certPem: cert.certPem,
    fingerprint,
    maildir: (user) => join(homes.get(user)!, 'Maildir'),
    log,
    async stop() {
      await stopChild(child, 10_000);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
