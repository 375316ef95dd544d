// The outbound queue on disk: SQLite in <data>/queue/queue.db, one row per message and one per
// remote recipient. enqueue() commits before it resolves (WAL, synchronous=FULL), which is what
// lets the SMTP service answer 250 for remote recipients. The running server and the queue
// cmdlets (Get-Queue, Retry-Queue, …) share the file.
import { join } from 'node:path';
import { SqliteDatabase } from '../../lib/sql/sqlite.ts';
import { makePrivateDir } from '../../lib/private-files.ts';

export type RecipientStatus = 'ready' | 'retry' | 'delivered' | 'failed' | 'suspended';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  message BLOB NOT NULL,
  size INTEGER NOT NULL,
  subject TEXT NOT NULL,
  message_id TEXT NOT NULL,
  ret TEXT,
  envid TEXT,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_recipients (
  message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  remote_mta TEXT,
  notify TEXT,
  orcpt TEXT,
  notified INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message_id, address)
);
CREATE INDEX IF NOT EXISTS queue_recipients_due ON queue_recipients (status, next_attempt_at);
`;

/**
 * Changes to a queue file made by an earlier version, in order; PRAGMA user_version counts the
 * ones applied. Each runs once, in the same transaction as the version bump, so the server and a
 * queue cmdlet opening the file at the same moment cannot both apply it.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the delay notification (NOTIFY=DELAY) is sent once per recipient, across restarts.
  // notified now also covers delivered recipients (a "relayed" notice may be owed); those
  // delivered before are settled.
  `ALTER TABLE queue_recipients ADD COLUMN delay_notified INTEGER NOT NULL DEFAULT 0;
   UPDATE queue_recipients SET notified = 1 WHERE status = 'delivered';`,
];

export interface QueuedMessage {
  id: string;
  sender: string;
  message: Buffer;
  size: number;
  subject: string;
  messageId: string;
  ret: string | null;
  envid: string | null;
  receivedAt: number;
  expiresAt: number;
}

export interface QueueRecipient {
  messageId: string;
  address: string;
  domain: string;
  status: RecipientStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** The host that gave the last answer, for the DSN's Remote-MTA field. */
  remoteMta: string | null;
  notify: string[] | null;
  orcpt: string | null;
  /**
   * The sender has been told what became of this recipient, or need not be: for failed, the
   * non-delivery report; for delivered, the "relayed" notice NOTIFY=SUCCESS asked for.
   */
  notified: boolean;
  /** The delay notification was sent, or is not wanted (NOTIFY without DELAY, null sender). */
  delayNotified: boolean;
}

export interface NewQueueEntry {
  id: string;
  sender: string;
  message: Buffer;
  subject: string;
  messageId: string;
  ret?: string | null;
  envid?: string | null;
  receivedAt: number;
  expiresAt: number;
  recipients: { address: string; domain: string; notify?: string[]; orcpt?: string }[];
}

/** Recipients of one message for one next-hop domain: one delivery attempt. */
export interface DueGroup {
  messageId: string;
  domain: string;
  recipients: QueueRecipient[];
}

interface RecipientRow {
  message_id: string;
  address: string;
  domain: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  remote_mta: string | null;
  notify: string | null;
  orcpt: string | null;
  notified: number;
  delay_notified: number;
}

interface MessageRow {
  id: string;
  sender: string;
  message: Buffer;
  size: number;
  subject: string;
  message_id: string;
  ret: string | null;
  envid: string | null;
  received_at: number;
  expires_at: number;
}

const toRecipient = (r: RecipientRow): QueueRecipient => ({
  messageId: r.message_id, address: r.address, domain: r.domain, status: r.status as RecipientStatus,
  attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at), lastError: r.last_error, remoteMta: r.remote_mta,
  notify: r.notify ? r.notify.split(',') : null, orcpt: r.orcpt, notified: Number(r.notified) === 1,
  delayNotified: Number(r.delay_notified) === 1,
});

const toMessage = (r: MessageRow): QueuedMessage => ({
  id: r.id, sender: r.sender, message: r.message, size: Number(r.size), subject: r.subject, messageId: r.message_id,
  ret: r.ret, envid: r.envid, receivedAt: Number(r.received_at), expiresAt: Number(r.expires_at),
});

function byMessage(rows: RecipientRow[]): Map<string, QueueRecipient[]> {
  const out = new Map<string, QueueRecipient[]>();
  for (const r of rows) out.set(r.message_id, [...(out.get(r.message_id) ?? []), toRecipient(r)]);
  return out;
}

export function queueFolder(dataFolder: string): string {
  return join(dataFolder, 'queue');
}

export class QueueStore {
  private constructor(private readonly db: SqliteDatabase) {}

  static async open(dataFolder: string): Promise<QueueStore> {
    const folder = queueFolder(dataFolder);
    makePrivateDir(folder);
    const db = new SqliteDatabase(join(folder, 'queue.db'));
    await db.exec(SCHEMA);
    await db.transaction(async (tx) => {
      const version = Number((await tx.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0);
      for (let v = version; v < MIGRATIONS.length; v++) await tx.exec(MIGRATIONS[v]!);
      if (version < MIGRATIONS.length) await tx.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    });
    return new QueueStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async enqueue(entry: NewQueueEntry): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO queue_messages (id, sender, message, size, subject, message_id, ret, envid, received_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [entry.id, entry.sender, entry.message, entry.message.length, entry.subject, entry.messageId, entry.ret ?? null, entry.envid ?? null, entry.receivedAt, entry.expiresAt],
      );
      for (const r of entry.recipients) {
        await tx.run(
          `INSERT INTO queue_recipients (message_id, address, domain, status, next_attempt_at, notify, orcpt) VALUES (?, ?, ?, 'ready', ?, ?, ?) ON CONFLICT (message_id, address) DO NOTHING`,
          [entry.id, r.address, r.domain, entry.receivedAt, r.notify?.join(',') ?? null, r.orcpt ?? null],
        );
      }
    });
  }

  async message(id: string): Promise<QueuedMessage | undefined> {
    const row = await this.db.get<MessageRow>(`SELECT * FROM queue_messages WHERE id = ?`, [id]);
    return row && toMessage(row);
  }

  /** Message rows without their bytes, for listings. */
  async messages(): Promise<Omit<QueuedMessage, 'message'>[]> {
    const rows = await this.db.all<Omit<MessageRow, 'message'>>(
      `SELECT id, sender, size, subject, message_id, ret, envid, received_at, expires_at FROM queue_messages ORDER BY received_at, id`,
    );
    return rows.map((r) => ({ ...toMessage({ ...r, message: Buffer.alloc(0) }), message: undefined }) as Omit<QueuedMessage, 'message'>);
  }

  async recipients(messageId?: string): Promise<QueueRecipient[]> {
    const rows = messageId === undefined
      ? await this.db.all<RecipientRow>(`SELECT * FROM queue_recipients ORDER BY domain, message_id, address`)
      : await this.db.all<RecipientRow>(`SELECT * FROM queue_recipients WHERE message_id = ? ORDER BY address`, [messageId]);
    return rows.map(toRecipient);
  }

  /** Recipients whose next attempt is due, grouped by message and next-hop domain. */
  async due(now: number, limit = 100): Promise<DueGroup[]> {
    const rows = await this.db.all<RecipientRow>(
      `SELECT * FROM queue_recipients WHERE status IN ('ready', 'retry') AND next_attempt_at <= ? ORDER BY next_attempt_at, message_id LIMIT ?`,
      [now, limit * 10],
    );
    const groups = new Map<string, DueGroup>();
    for (const row of rows) {
      const key = `${row.message_id}\u0000${row.domain}`;
      let group = groups.get(key);
      if (!group) {
        if (groups.size >= limit) continue;
        group = { messageId: row.message_id, domain: row.domain, recipients: [] };
        groups.set(key, group);
      }
      group.recipients.push(toRecipient(row));
    }
    return [...groups.values()];
  }

  async setStatus(
    messageId: string,
    addresses: readonly string[],
    change: { status: RecipientStatus; error?: string | null; remoteMta?: string; nextAttemptAt?: number; countAttempt?: boolean; notified?: boolean },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const address of addresses) {
        await tx.run(
          `UPDATE queue_recipients SET status = ?, last_error = COALESCE(?, last_error), remote_mta = COALESCE(?, remote_mta),
             next_attempt_at = COALESCE(?, next_attempt_at), attempts = attempts + ?, notified = COALESCE(?, notified)
           WHERE message_id = ? AND address = ?`,
          [change.status, change.error ?? null, change.remoteMta ?? null, change.nextAttemptAt ?? null, change.countAttempt ? 1 : 0,
            change.notified === undefined ? null : change.notified ? 1 : 0, messageId, address],
        );
      }
    });
  }

  /** Failed or delivered recipients whose sender is still owed a report, by message. */
  async unnotified(): Promise<Map<string, QueueRecipient[]>> {
    const rows = await this.db.all<RecipientRow>(`SELECT * FROM queue_recipients WHERE status IN ('failed', 'delivered') AND notified = 0 ORDER BY message_id, address`);
    return byMessage(rows);
  }

  /**
   * Recipients still queued, with no delay notification settled yet, of messages that arrived
   * at or before `arrivedBy`, by message.
   */
  async delayed(arrivedBy: number): Promise<Map<string, QueueRecipient[]>> {
    const rows = await this.db.all<RecipientRow>(
      `SELECT r.* FROM queue_recipients r JOIN queue_messages m ON m.id = r.message_id
         WHERE r.status IN ('ready', 'retry', 'suspended') AND r.delay_notified = 0 AND m.received_at <= ?
         ORDER BY r.message_id, r.address`,
      [arrivedBy],
    );
    return byMessage(rows);
  }

  /** Records that the delay notification for these recipients is settled (sent or not wanted). */
  async setDelayNotified(messageId: string, addresses: readonly string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const address of addresses) {
        await tx.run(`UPDATE queue_recipients SET delay_notified = 1 WHERE message_id = ? AND address = ?`, [messageId, address]);
      }
    });
  }

  /** Drops a message once every recipient is delivered or failed, and its sender told what was owed. */
  async removeIfFinished(messageId: string): Promise<boolean> {
    const open = await this.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM queue_recipients WHERE message_id = ? AND (status IN ('ready', 'retry', 'suspended') OR (status IN ('failed', 'delivered') AND notified = 0))`,
      [messageId],
    );
    if (Number(open?.n ?? 0) > 0) return false;
    await this.db.run(`DELETE FROM queue_messages WHERE id = ?`, [messageId]);
    return true;
  }

  /** Retry-Queue: every waiting recipient (of one next-hop domain) is due now. */
  async retryNow(now: number, domain?: string): Promise<number> {
    const result = domain === undefined
      ? await this.db.run(`UPDATE queue_recipients SET next_attempt_at = ? WHERE status = 'retry'`, [now])
      : await this.db.run(`UPDATE queue_recipients SET next_attempt_at = ? WHERE status = 'retry' AND domain = ?`, [now, domain.toLowerCase()]);
    return result.changes;
  }

  /** Suspend-Message / Resume-Message. */
  async setSuspended(messageId: string, suspended: boolean, now: number): Promise<number> {
    const result = suspended
      ? await this.db.run(`UPDATE queue_recipients SET status = 'suspended' WHERE message_id = ? AND status IN ('ready', 'retry')`, [messageId])
      : await this.db.run(`UPDATE queue_recipients SET status = 'retry', next_attempt_at = ? WHERE message_id = ? AND status = 'suspended'`, [now, messageId]);
    return result.changes;
  }

  /**
   * Remove-Message: the message's open recipients fail. With an NDR the running queue tells the
   * sender (the next time it looks); without one they are dropped silently.
   */
  async remove(messageId: string, withNdr: boolean): Promise<number> {
    const result = await this.db.run(
      `UPDATE queue_recipients SET status = 'failed', last_error = '550 5.3.0 The message was deleted by an administrator', notified = ?
         WHERE message_id = ? AND status IN ('ready', 'retry', 'suspended')`,
      [withNdr ? 0 : 1, messageId],
    );
    await this.removeIfFinished(messageId);
    return result.changes;
  }
}
