// A `mailroom start` that the fault tests can kill, starve of disk or move in time, with the
// checks every fault test ends with: each acknowledged message present once and byte-exact,
// the mailbox's counters equal to what is really there, UIDs never handed out twice.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { BIN, freePortOffset, killProcessTree, mailroom, startMailroom, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

export const PASSWORD = 'Fault-Pass-2026';
export const USERS = ['alice', 'bob'] as const;

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export class FaultServer {
  server: RunningServer | undefined;
  readonly env: Record<string, string>;

  private constructor(readonly dataPath: string, readonly offset: number, extraEnv: Record<string, string>) {
    this.env = { MAILROOM_DATA: dataPath, MAILROOM_PORT_OFFSET: String(offset), ...extraEnv };
  }

  /** An organization with alice and bob, IMAP4, POP3 and submission on loopback; web off. */
  static async create(dataPath: string, extraEnv: Record<string, string> = {}): Promise<FaultServer> {
    const offset = await freePortOffset([25, 587, 465, 143, 993, 110, 995, 2525]);
    await createTestOrganization(dataPath, { mailboxes: USERS.map((alias) => [alias, alias] as const), password: PASSWORD });
    return new FaultServer(dataPath, offset, extraEnv);
  }

  port(standard: number): number {
    return standard + this.offset;
  }

  async start(): Promise<void> {
    this.server = await startMailroom(['start'], this.env);
  }

  /** SIGKILL: no shutdown code runs. */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
    const exited = new Promise((r) => s.child.once('exit', r));
    // The supervisor and both of its processes at once: killed alone, the supervisor's
    // processes would see it go and stop in good order.
    killProcessTree(s.child.pid!, 'SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  imap(user: string = 'bob', pass = PASSWORD): ImapFlow {
    return new ImapFlow({
      host: '127.0.0.1', port: this.port(993), secure: true, auth: { user: `${user}@contoso.com`, pass },
      tls: { rejectUnauthorized: false }, logger: false,
    });
  }

  /** Bytes of the mailbox as Get-MailboxStatistics reports them (its counters, not a recount). */
  statistics(user: string): { items: number; bytes: number } {
    const r = mailroom(['Get-MailboxStatistics', user, '--json'], this.env);
    assert.equal(r.status, 0, r.stderr);
    const row = JSON.parse(r.stdout)[0];
    const bytes = /\(([\d,]+) bytes\)/.exec(row.TotalItemSize)?.[1] ?? (String(row.TotalItemSize).startsWith('0') ? '0' : undefined);
    assert.ok(bytes !== undefined, `TotalItemSize ${row.TotalItemSize}`);
    return { items: row.ItemCount, bytes: Number(bytes.replace(/,/g, '')) };
  }
}

export interface StoredMessage {
  uid: number;
  size: number;
  source: Buffer;
}

/** Every message of a folder with its UID and bytes, plus the folder's STATUS. */
/** STATUS of a folder; imapflow answers false when the server refused it. */
export async function statusOf(client: ImapFlow, folder: string, items: { messages?: true; uidNext?: true; uidValidity?: true }) {
  const status = await client.status(folder, items);
  assert.ok(status, `STATUS ${folder} refused`);
  return status;
}

export async function readFolder(client: ImapFlow, folder = 'INBOX'): Promise<{ messages: StoredMessage[]; status: { messages: number; uidNext: number } }> {
  const status = await statusOf(client, folder, { messages: true, uidNext: true });
  const lock = await client.getMailboxLock(folder);
  const messages: StoredMessage[] = [];
  try {
    if ((status.messages ?? 0) > 0) {
      for await (const m of client.fetch('1:*', { uid: true, size: true, source: true })) {
        messages.push({ uid: m.uid, size: m.size ?? -1, source: m.source! });
      }
    }
  } finally {
    lock.release();
  }
  return { messages, status: { messages: status.messages ?? 0, uidNext: status.uidNext ?? 0 } };
}

/**
 * The checks after a fault: every acknowledged message is there exactly once with its bytes
 * (`tailOf` finds the sent bytes in the stored ones: SMTP adds trace fields above them), the
 * counters agree with what is there, and UIDs are unique and below UIDNEXT.
 */
export async function checkMailbox(
  server: FaultServer,
  user: string,
  acknowledged: Map<string, Buffer>,
  tokenOf: (source: Buffer) => string | null,
): Promise<{ messages: StoredMessage[]; uidNext: number }> {
  const client = server.imap(user);
  await client.connect();
  try {
    const { messages, status } = await readFolder(client);
    assert.equal(status.messages, messages.length, 'STATUS MESSAGES counts what FETCH returns');
    const uids = new Set(messages.map((m) => m.uid));
    assert.equal(uids.size, messages.length, 'UIDs are unique');
    for (const m of messages) assert.ok(m.uid < status.uidNext, `UID ${m.uid} below UIDNEXT ${status.uidNext}`);
    const byToken = new Map<string, StoredMessage[]>();
    for (const m of messages) {
      assert.equal(m.size, m.source.length, `RFC822.SIZE of UID ${m.uid} is its byte count`);
      const token = tokenOf(m.source);
      assert.ok(token, `UID ${m.uid} is a whole message of the test`);
      byToken.set(token, [...(byToken.get(token) ?? []), m]);
    }
    for (const [token, sent] of acknowledged) {
      const found = byToken.get(token) ?? [];
      assert.equal(found.length, 1, `acknowledged message ${token} stored ${found.length} times`);
      const source = found[0]!.source;
      assert.deepEqual(source.subarray(source.length - sent.length), sent, `message ${token} byte-exact`);
    }
    const stats = server.statistics(user);
    assert.equal(stats.items, messages.length, 'Get-MailboxStatistics ItemCount');
    assert.equal(stats.bytes, messages.reduce((n, m) => n + m.size, 0), 'Get-MailboxStatistics TotalItemSize');
    return { messages, uidNext: status.uidNext };
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** A message that names itself: its token is in the subject and the body, so a stored copy can be matched. */
export function tokenMessage(token: string, bodyBytes = 600): Buffer {
  const line = `${token} `.repeat(Math.ceil(70 / (token.length + 1))).trim();
  const lines: string[] = [];
  for (let n = 0; n * (line.length + 2) < bodyBytes; n++) lines.push(line);
  return Buffer.from(
    `From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: ${token}\r\nMessage-ID: <${token}@contoso.com>\r\n\r\n${lines.join('\r\n')}\r\n`,
  );
}

export const tokenIn = (source: Buffer): string | null => /^Subject: (\S+)\r$/m.exec(source.toString('latin1'))?.[1] ?? null;

/** Runs `mailroom` synchronously with this server's environment. */
export function admin(server: FaultServer, ...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent', ...server.env }, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
