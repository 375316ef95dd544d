// The wall clock jumps while the server runs (an NTP step, a VM restored from a snapshot): two
// days back, then three weeks forward. libfaketime moves the server's wall clock only (the
// monotonic clock that timers use goes on), as a real step does. Mail keeps arriving throughout;
// afterwards every acknowledged message is there, UIDs only ever grew, a folder made again gets a
// new UIDVALIDITY, an admin's change from another process still reaches the server, and a
// logged-on session is not cut off by the jump.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { eventually, tempDataDir } from '../helpers.ts';
import { admin, checkMailbox, statusOf, FaultServer, PASSWORD, tokenIn, tokenMessage } from './harness.ts';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const available = existsSync(LIBFAKETIME);
const skip = available || process.env.MAILROOM_CI_TOOLS === '1' ? false : 'libfaketime is not installed (Debian package faketime)';

const data = tempDataDir('mailroom-faults-clock-');
const clockFile = join(data.path, 'clock-offset');
let server: FaultServer;

/** Moves the server's wall clock to this offset from the real one ("-2d", "+21d", "+0"). */
function setClock(offset: string): void {
  writeFileSync(clockFile, `${offset}\n`);
}

before(async () => {
  if (!available) {
    if (process.env.MAILROOM_CI_TOOLS === '1') throw new Error(`${LIBFAKETIME} is missing`);
    return;
  }
  setClock('+0');
  server = await FaultServer.create(data.path, {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: clockFile,
    FAKETIME_NO_CACHE: '1',
    DONT_FAKE_MONOTONIC: '1',
  });
  await server.start();
});
after(async () => {
  await server?.kill();
  data.cleanup();
});

test('clock jumps back and forward: mail, UIDs, UIDVALIDITY, admin changes and sessions hold', { skip, timeout: 120_000 }, async () => {
  const acknowledged = new Map<string, Buffer>();
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: server.port(587), secure: false, requireTLS: true,
    auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  });
  const deliver = async (token: string) => {
    const raw = tokenMessage(token);
    await transport.sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
    acknowledged.set(token, raw);
  };
  const session = server.imap('bob');
  session.on('error', () => undefined);
  await session.connect();
  const uids: number[] = [];
  const appendAndNote = async (token: string) => {
    const raw = tokenMessage(token);
    const r = await session.append('INBOX', raw);
    assert.ok(r && typeof r !== 'boolean');
    acknowledged.set(token, raw);
    uids.push(r.uid!);
  };
  await session.mailboxCreate('Projects');
  const firstValidity = (await statusOf(session, 'Projects', { uidValidity: true })).uidValidity;

  for (let i = 0; i < 5; i++) await deliver(`before-${i}`);
  await appendAndNote('append-before');
  // Enough wrong passwords for bob that his next logon is spaced out by the throttle (a second).
  for (let i = 0; i < 4; i++) {
    const wrong = server.imap('bob', `Wrong-${i}-2026`);
    wrong.on('error', () => undefined);
    await assert.rejects(wrong.connect());
  }

  setClock('-2d');
  // The spacing is measured on the monotonic clock: the correct password gets in after it, not
  // after the two days the wall clock went back.
  const late = server.imap('bob');
  late.on('error', () => undefined);
  await Promise.race([
    late.connect(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('the logon was held back by the clock step')), 20_000)),
  ]);
  await late.logout();
  for (let i = 0; i < 5; i++) await deliver(`back-${i}`);
  await appendAndNote('append-back');
  await session.mailboxDelete('Projects');
  await session.mailboxCreate('Projects');
  const secondValidity = (await statusOf(session, 'Projects', { uidValidity: true })).uidValidity;
  assert.notEqual(secondValidity, firstValidity, 'a folder made again gets a new UIDVALIDITY even with the clock set back');

  // An admin's change from another process reaches the running server while its clock is behind.
  admin(server, 'Set-CASMailbox', 'alice', '-ImapEnabled', '$false');
  await eventually(async () => {
    const probe = server.imap('alice');
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.logout();
      return false;
    } catch {
      return true;
    }
  }, 10_000);
  admin(server, 'Set-CASMailbox', 'alice', '-ImapEnabled', '$true');

  setClock('+21d');
  for (let i = 0; i < 5; i++) await deliver(`forward-${i}`);
  await appendAndNote('append-forward');
  // The session that was logged on before the jumps is still usable.
  await session.noop();
  assert.ok(session.usable, 'a wall-clock jump does not end a session');
  await session.logout();
  transport.close();

  assert.deepEqual([...uids].sort((a, b) => a - b), uids, 'UIDs only grow, whatever the wall clock did');
  await checkMailbox(server, 'bob', acknowledged, tokenIn);
  setClock('+0');
});
