// `mailroom start` (the default since it stopped being `--split`): the front ends and the back
// ends of one server as two supervised processes that talk over the local link and the delivery
// port, as two servers would over the proxy and delivery ports. Real clients:
// imapflow through the front-end process to the back-end process, nodemailer submitting mail
// that the front-end process hands to the back-end process's delivery port (LMTP), and an IDLE
// session that hears it; then the back-end process killed with SIGKILL, its clients told to try
// again, and the supervisor starting it again.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { eventually, freePortOffset, mailroomOk, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { RawClient } from '../imap/backend/harness.ts';
import { decodeAnswer, encodeHandoff } from '../../src/auth/handoff.ts';
import { readSocketLine } from '../../src/lib/socket-line.ts';

const PASSWORD = 'Split-Pass-2026';
const data = tempDataDir('mailroom-split-');
let offset = 0;
let env: Record<string, string>;
let server: RunningServer;

/** The pids of the supervisor's children, by the role on their command line. */
function childRoles(parent: number): Map<'frontend' | 'backend', number> {
  const roles = new Map<'frontend' | 'backend', number>();
  const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const pid of children) {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const role = args[args.indexOf('--role') + 1];
    if (role === 'frontend' || role === 'backend') roles.set(role, pid);
  }
  return roles;
}

/** The mailbox database files (databases/<name>/mailbox.db) a process has open. */
function openMailboxFiles(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  }).filter((target) => target.startsWith(data.path) && target.endsWith('mailbox.db'));
}

function imap(user: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false,
  });
}

before(async () => {
  offset = await freePortOffset();
  await createTestOrganization(data.path, { mailboxes: [['Alice Wong', 'alice'], ['Bob Lee', 'bob']], password: PASSWORD });
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('one ready line names both processes; each role runs in its own process', async () => {
  const ready = /Mailroom ready on MAIL01[^\n]*/.exec(server.output())![0];
  const roles = childRoles(server.child.pid!);
  assert.equal(roles.size, 2, `children: ${[...roles]}`);
  assert.match(ready, new RegExp(`front ends \\(pid ${roles.get('frontend')}\\)`));
  assert.match(ready, new RegExp(`back ends \\(pid ${roles.get('backend')}\\)`));
  // Only the supervisor says "Mailroom ready": a test or script waiting for it waits for both.
  assert.equal(server.output().match(/Mailroom ready/g)?.length, 1);
  // Each process reports its own services; neither overwrites the other's (Get-Service).
  const services = mailroomOk(['Get-Service', '--json'], env).stdout;
  const byName = new Map((JSON.parse(services) as { Name: string; Status: string; ProcessId: number | null }[]).map((s) => [s.Name, s]));
  for (const name of ['imap4', 'pop3', 'smtp']) {
    assert.equal(byName.get(name)?.Status, 'Running', `${name}: ${services}`);
    assert.equal(byName.get(name)?.ProcessId, roles.get('frontend'), `${name} runs in the front-end process`);
  }
  for (const name of ['imap4-backend', 'pop3-backend', 'smtp-backend']) {
    assert.equal(byName.get(name)?.Status, 'Running', `${name}: ${services}`);
    assert.equal(byName.get(name)?.ProcessId, roles.get('backend'), `${name} runs in the back-end process`);
  }
});

test('IMAP4 through the front-end process; mail submitted on 587 reaches the back-end process and the IDLE session hears it', async () => {
  const bob = imap('bob@contoso.com');
  await bob.connect();
  const lock = await bob.getMailboxLock('INBOX');
  try {
    let exists = 0;
    bob.on('exists', (e: { count: number }) => (exists = e.count));
    const idle = bob.idle();
    const raw = Buffer.from('From: Alice Wong <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: split\r\nMessage-ID: <split-1@contoso.com>\r\n\r\nThrough both processes.\r\n');
    const info = await nodemailer.createTransport({
      host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
    }).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
    assert.match(info.response, /^250 /);
    await eventually(() => exists === 1);
    await bob.mailboxOpen('INBOX').catch(() => undefined);
    await idle.catch(() => undefined);
    const fetched = await bob.fetchOne('1', { source: true });
    assert.ok(fetched && fetched.source && fetched.source.includes(raw));
  } finally {
    lock.release();
    await bob.logout().catch(() => undefined);
  }
  // Only the back-end process has the mailbox database open: the front-end process handed the
  // logon and the delivery over instead of opening the file beside it.
  const roles = childRoles(server.child.pid!);
  assert.deepEqual(openMailboxFiles(roles.get('frontend')!), []);
  assert.ok(openMailboxFiles(roles.get('backend')!).length > 0, 'the back-end process has mailbox.db open');
});

test('the front-end process reaches the back-end process over the local link: a Unix socket only the server\'s account can open', async () => {
  const run = join(data.path, 'run');
  assert.equal(statSync(run).mode & 0o777, 0o700);
  for (const service of ['imap4-backend', 'pop3-backend']) {
    const socket = statSync(join(run, `mail01.${service}.sock`));
    assert.ok(socket.isSocket(), `${service}: a socket`);
    assert.equal(socket.mode & 0o777, 0o600, `${service}: mode 0600`);
  }
  // The logon above went over it, not over TLS to the proxy port.
  await server.waitFor(/"link":"local"[^\n]*imap4-backend: session handed over|imap4-backend: session handed over[^\n]*"link":"local"/);
  // The local link serves this server's own front ends: a hand-off naming another server is refused.
  const link = connect({ path: join(run, 'mail01.imap4-backend.sock') });
  await new Promise((resolve, reject) => link.once('connect', resolve).once('error', reject));
  link.write(encodeHandoff({
    protocol: 'imap', sessionId: '0123456789ABCDEF', user: { id: 'x', upn: 'alice@contoso.com' }, mailbox: { id: 'x', address: 'alice@contoso.com' },
    logonName: 'alice@contoso.com', client: { address: '192.0.2.7', port: 5000 }, frontEnd: 'MAIL02', tag: 'a1',
  }));
  const { line } = await readSocketLine(link, 4096, 10_000);
  const answer = decodeAnswer(line);
  assert.equal(answer.accepted, false);
  assert.match(answer.accepted ? '' : answer.response, /^a1 NO \[UNAVAILABLE\] The local link of MAIL01 serves MAIL01's own front ends only/);
  link.destroy();
});

test('a change made with a cmdlet is logged once for the server, when both processes have applied it', async () => {
  const applied = () => server.output().split('\n').filter((l) => /configuration revision \d+ applied/.test(l));
  const before = applied().length;
  mailroomOk(['Set-ImapSettings', '-MaxCommandSize', '12288'], env);
  await eventually(() => applied().length > before);
  // Both processes poll the directory four times a second; a second line would have come by now.
  await new Promise((r) => setTimeout(r, 1500));
  const lines = applied();
  assert.equal(lines.length, before + 1, lines.join('\n'));
  assert.match(lines[lines.length - 1]!, /"role":"supervisor"/);
});

test('the back-end process killed: logons get a temporary error, then the supervisor starts it again and they work', async () => {
  const before = childRoles(server.child.pid!);
  const backend = before.get('backend')!;
  const alice = await RawClient.connect(993 + offset);
  process.kill(backend, 'SIGKILL');
  await server.waitFor(/the backend process exited \(SIGKILL\); starting it again/);
  // While it is down (the first restart waits a second): a temporary error at LOGIN, never a
  // wrong or empty mailbox. A restart quicker than this LOGIN is let through.
  const reply = (await alice.command('a', `LOGIN alice@contoso.com ${PASSWORD}`)).join('\n');
  if (!/^a OK/m.test(reply)) assert.match(reply, /^a NO \[UNAVAILABLE\]/m);
  alice.close();
  await server.waitFor(/the backend process is back/, 30_000);
  const restarted = childRoles(server.child.pid!).get('backend');
  assert.ok(restarted && restarted !== backend, `backend pid ${backend} → ${restarted}`);
  // Logons work again within seconds, and bob's message is still there.
  await eventually(async () => {
    const bob = imap('bob@contoso.com');
    try {
      await bob.connect();
      const status = await bob.status('INBOX', { messages: true });
      return status !== false && status.messages === 1;
    } catch {
      return false;
    } finally {
      await bob.logout().catch(() => undefined);
    }
  }, 20_000, 500);
});

test('SIGTERM stops the supervisor and both processes', async () => {
  const roles = childRoles(server.child.pid!);
  const code = await server.stop();
  assert.equal(code, 0);
  for (const pid of roles.values()) {
    assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still runs`);
  }
});

test('--single-process runs both tiers in one process, as before the two processes were the default', async () => {
  const single = await startMailroom(['start', '--single-process'], env);
  try {
    assert.equal(childRoles(single.child.pid!).size, 0);
    const services = JSON.parse(mailroomOk(['Get-Service', '--json'], env).stdout) as { Name: string; ProcessId: number | null }[];
    for (const name of ['imap4', 'imap4-backend']) assert.equal(services.find((s) => s.Name === name)?.ProcessId, single.child.pid);
    const bob = imap('bob@contoso.com');
    await bob.connect();
    const status = await bob.status('INBOX', { messages: true });
    assert.ok(status && status.messages === 1, JSON.stringify(status));
    await bob.logout();
  } finally {
    assert.equal(await single.stop(), 0);
  }
});
