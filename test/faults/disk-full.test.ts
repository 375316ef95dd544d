// A data folder on a small tmpfs that fills up while mail arrives: SMTP submissions and IMAP
// APPENDs get temporary errors (4xx, NO) and the sessions go on; nothing acknowledged is lost; once
// space returns the same running server stores mail again without a restart.
//
// Mounting needs root (CI runs as root); elsewhere the test skips.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpTestClient } from '../smtp/smtp-client.ts';
import { checkMailbox, FaultServer, PASSWORD, tokenIn, tokenMessage } from './harness.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'mailroom-faults-disk-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', mountPoint]).status === 0;
const skip = mounted || process.env.MAILROOM_CI_TOOLS === '1' ? false : 'mounting a tmpfs needs root';
const dataPath = join(mountPoint, 'data');
const filler = join(mountPoint, 'filler');
let server: FaultServer;

function freeBytes(): number {
  const s = statfsSync(mountPoint);
  return s.bavail * s.bsize;
}

/** Leaves about `bytes` free on the tmpfs. */
function leaveFree(bytes: number): void {
  rmSync(filler, { force: true });
  writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - bytes)));
}

before(async () => {
  if (!mounted) {
    if (process.env.MAILROOM_CI_TOOLS === '1') throw new Error(`could not mount a tmpfs on ${mountPoint}`);
    return;
  }
  mkdirSync(dataPath, { mode: 0o700 });
  server = await FaultServer.create(dataPath);
  await server.start();
});
after(async () => {
  await server?.kill();
  if (mounted) spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

async function submission(): Promise<SmtpTestClient> {
  const c = await SmtpTestClient.connect(server.port(465), { tls: true });
  assert.equal((await c.read()).code, 220);
  c.write('EHLO faults.example\r\n');
  assert.equal((await c.read()).code, 250);
  c.write(`AUTH PLAIN ${Buffer.from(`\0alice@contoso.com\0${PASSWORD}`).toString('base64')}\r\n`);
  assert.equal((await c.read()).code, 235);
  return c;
}

/** One message over an open submission session: the DATA reply code. */
async function submit(c: SmtpTestClient, raw: Buffer): Promise<number> {
  c.write('MAIL FROM:<alice@contoso.com>\r\n');
  const mail = await c.read();
  if (mail.code !== 250) return mail.code;
  c.write('RCPT TO:<bob@contoso.com>\r\n');
  const rcpt = await c.read();
  if (rcpt.code !== 250) {
    c.write('RSET\r\n');
    await c.read();
    return rcpt.code;
  }
  c.write('DATA\r\n');
  assert.equal((await c.read()).code, 354);
  c.write(Buffer.concat([raw, Buffer.from('.\r\n')]));
  return (await c.read(30_000)).code;
}

test('a full disk gives SMTP and IMAP clients temporary errors, loses nothing, and the server recovers by itself', { skip, timeout: 180_000 }, async () => {
  const smtpAcknowledged = new Map<string, Buffer>();
  const imapAcknowledged = new Map<string, Buffer>();
  const c = await submission();
  const imap = server.imap('bob');
  imap.on('error', () => undefined);
  await imap.connect();

  leaveFree(3 * 1024 * 1024);
  const refusals: number[] = [];
  let imapRefused: string | undefined;
  for (let i = 0; i < 40 && (refusals.length === 0 || imapRefused === undefined); i++) {
    const raw = tokenMessage(`full-smtp-${i}`, 400_000);
    const code = await submit(c, raw);
    if (code === 250) smtpAcknowledged.set(`full-smtp-${i}`, raw);
    else refusals.push(code);
    const appended = tokenMessage(`full-imap-${i}`, 400_000);
    try {
      await imap.append('INBOX', appended);
      imapAcknowledged.set(`full-imap-${i}`, appended);
    } catch (err) {
      imapRefused = String((err as { responseText?: string }).responseText ?? err);
    }
  }
  assert.ok(refusals.length > 0, 'the disk filled up before 40 messages');
  for (const code of refusals) assert.ok(code >= 400 && code < 500, `temporary SMTP refusal, got ${code}`);
  assert.ok(imapRefused !== undefined, 'an APPEND was refused');
  assert.ok(imap.usable, 'the IMAP session survives a refused APPEND');

  // Space returns: the same sessions store mail again, without a restart.
  rmSync(filler, { force: true });
  const again = tokenMessage('after-space', 400_000);
  assert.equal(await submit(c, again), 250);
  smtpAcknowledged.set('after-space', again);
  const appended = tokenMessage('after-space-imap', 400_000);
  await imap.append('INBOX', appended);
  imapAcknowledged.set('after-space-imap', appended);
  await imap.logout();
  c.write('QUIT\r\n');
  c.close();

  await checkMailbox(server, 'bob', new Map([...smtpAcknowledged, ...imapAcknowledged]), tokenIn);
  // And after a restart on the disk that was full, still everything.
  await server.kill();
  await server.start();
  await checkMailbox(server, 'bob', new Map([...smtpAcknowledged, ...imapAcknowledged]), tokenIn);
});
