// The two servers under test, each set up from the same corpus in a temporary folder and run
// as its own processes on loopback ports:
//   Mailroom: `mailroom setup`, the POP3 services enabled with Set-Service, messages appended
//             through the store API, then `mailroom start`.
//   Dovecot:  a private instance (its own dovecot.conf, base_dir and log) with passwd-file
//             users and maildirs holding the same bytes, run with `dovecot -F`.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { credentialsFor } from '../../src/auth/credentials.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import type { BenchUser } from './corpus.ts';
import { freePort, stopChild } from '../support/processes.ts';
import { chownTree, dovecotAvailable, mailOwner, privateInstanceSettings } from '../support/dovecot.ts';

export interface Target {
  name: string;
  version: string;
  plainPort: number;
  tlsPort: number;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'mailroom.js');

/** Resolves once something on the port sends a POP3 greeting. */
async function greeted(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.setTimeout(1000, () => (s.destroy(), res(false)));
      s.once('data', (d) => (s.destroy(), res(d.toString().startsWith('+OK'))));
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


// --- Mailroom --------------------------------------------------------------------------------

export async function startMailroomTarget(users: BenchUser[]): Promise<Target> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-bench-'));
  // The ports are the defaults plus an offset, as MAILROOM_PORT_OFFSET works.
  const plain = await freePort();
  const offset = plain - 110;
  const env = { ...process.env, MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset), MAILROOM_LOG_LEVEL: 'warn' };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mailroom ${args.join(' ')}: ${r.stderr}`);
  };
  cli('setup', '--organization', 'Bench', '--domain', 'contoso.com', '--server', 'BENCH01', '--admin-password', 'Admin-Pass-2026');
  cli('Set-PopSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:110', '-SSLBindings', '127.0.0.1:995', '-LoginType', 'PlainTextLogin');
  cli('Set-Service', 'MSExchangePOP3,MSExchangePOP3BE', '-StartupType', 'Automatic');
  // Only POP3 runs: nothing else competes for the CPU, or for ports near the offset.
  cli('Set-Service', 'smtp,web', '-StartupType', 'Disabled');

  process.env.MAILROOM_DATA = data;
  const dir = await Directory.open();
  const databases = new MailboxDatabases(dir);
  for (const user of users) {
    const mailbox = await dir.createMailbox({ name: user.name, alias: user.name, credentials: await credentialsFor(user.password) });
    const store = await databases.storeFor(mailbox);
    const inbox = (await store.folder(mailbox.id, 'INBOX'))!;
    for (const [i, raw] of user.messages.entries()) await store.append(inbox.id, { raw, internalDate: new Date(Date.UTC(2026, 10, 20, 8, 0, i)) });
  }
  await databases.closeAll();
  await dir.close();

  // BENCH_MAILROOM_NODE_OPTIONS reaches only the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeOptions = process.env.BENCH_MAILROOM_NODE_OPTIONS;
  const child = spawn(process.execPath, [...(nodeOptions ? nodeOptions.split(' ') : []), BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  await greeted(110 + offset).catch((err: Error) => {
    child.kill();
    throw new Error(`${err.message}; mailroom start said:\n${output}`);
  });
  await greeted(995 + offset).catch(() => undefined); // TLS port: a plain probe gets no greeting
  const pkg = JSON.parse((await import('node:fs')).readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    name: 'Mailroom',
    version: `${pkg.version} (Node ${process.versions.node})`,
    plainPort: 110 + offset,
    tlsPort: 995 + offset,
    async stop() {
      await stopChild(child);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// --- Dovecot ---------------------------------------------------------------------------------

export async function startDovecotTarget(users: BenchUser[]): Promise<Target> {
  const version = dovecotAvailable();
  if (!version) throw new Error('dovecot is not installed (apt-get install dovecot-pop3d)');
  const root = mkdtempSync(join(tmpdir(), 'dovecot-bench-'));
  chmodSync(root, 0o755);
  const owner = mailOwner();
  const [plainPort, tlsPort] = [await freePort(), await freePort()];

  // Maildirs with exactly the bytes Mailroom stores (CRLF line ends); S= and W= give the sizes
  // so Dovecot need not read a file to answer LIST, as a delivered maildir would.
  const passwd: string[] = [];
  for (const user of users) {
    const home = join(root, 'home', user.name);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true });
    for (const [i, raw] of user.messages.entries()) {
      const name = `${1795000000 + i}.M${i}P1.bench,S=${raw.length},W=${raw.length}:2,`;
      writeFileSync(join(home, 'Maildir', 'cur', name), raw);
    }
    passwd.push(`${user.name}:{PLAIN}${user.password}:${owner.uid}:${owner.gid}::${home}::`);
  }
  chownTree(join(root, 'home'), owner.uid, owner.gid);
  writeFileSync(join(root, 'passwd'), `${passwd.join('\n')}\n`);

  const cert = await createSelfSignedCertificate(['localhost']);
  writeFileSync(join(root, 'cert.pem'), cert.certPem);
  writeFileSync(join(root, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const conf = join(root, 'dovecot.conf');
  writeFileSync(conf, [
    ...privateInstanceSettings(root, 'PLAIN'),
    'protocols = pop3',
    'ssl = yes',
    `ssl_cert = <${root}/cert.pem`,
    `ssl_key = <${root}/key.pem`,
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain',
    `service pop3-login {\n  inet_listener pop3 {\n    port = ${plainPort}\n  }\n  inet_listener pop3s {\n    port = ${tlsPort}\n    ssl = yes\n  }\n}`,
    'service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}',
    '',
  ].join('\n'));
  mkdirSync(join(root, 'state'), { recursive: true });
  const child = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await greeted(plainPort);
  return {
    name: 'Dovecot',
    version,
    plainPort,
    tlsPort,
    async stop() {
      await stopChild(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export { dovecotAvailable };
