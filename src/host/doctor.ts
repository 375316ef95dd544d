// `mailroom doctor [--repair]`: checks what the store keeps in step inside each mailbox database
// and, with --repair, puts it back in step. The store changes all of these in one transaction
// (docs/storage.md), so a difference means the database was edited by hand, restored in part,
// or damaged; doctor says what it found, what it did and what it could not do.
//
//   counters      each folder's messages, unseen, recent and size against its message rows
//   uid/modseq    UIDNEXT above every UID used in the folder (present or expunged: UIDs are
//                 never reused) and HIGHESTMODSEQ at least every MODSEQ in it
//   quota usage   each mailbox's bytes and messages (every folder) and Recoverable Items bytes
//   body refs     each body's reference count against the messages and Recoverable Items
//                 using it; bodies referred to but missing or of the wrong size (not repairable:
//                 restore from a backup); body files no row refers to (orphans, deleted)
//   text index    index.db against the messages: entries missing or left over are queued for
//                 the indexer, which applies them when the database is next opened
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlobFiles } from '../store/blob/files.ts';
import { TEXT_INDEX_VERSION } from '../store/sqlite/schema.ts';
import { runningServerReason } from '../lib/running-servers.ts';

export type DoctorCheck = 'counters' | 'uid-modseq' | 'quota-usage' | 'body-refs' | 'missing-body' | 'orphan-body' | 'text-index';

export interface DoctorFinding {
  /** The mailbox database's folder name under databases/. */
  database: string;
  check: DoctorCheck;
  /** What is wrong: a folder, a mailbox, a body. */
  subject: string;
  found: string;
  expected: string;
  repaired: boolean;
}

export interface DoctorReport {
  databases: string[];
  findings: DoctorFinding[];
  /** Findings not repaired (all of them without --repair). */
  remaining: number;
}

export class DoctorError extends Error {}

interface FolderCounts {
  id: number;
  mailbox_id: string;
  name: string;
  messages: number;
  unseen: number;
  recent: number;
  size: number;
  uid_next: number;
  highest_modseq: number;
  c_messages: number;
  c_unseen: number;
  c_recent: number;
  c_size: number;
  max_uid: number;
  max_modseq: number;
}

export async function runDoctor(dataFolder: string, options: { repair?: boolean } = {}): Promise<DoctorReport> {
  if (options.repair) {
    const running = runningServerReason(dataFolder);
    if (running) throw new DoctorError(`${running}: stop it before doctor --repair (without --repair doctor only reads, and can run beside it).`);
  }
  const root = join(dataFolder, 'databases');
  const names = existsSync(root) ? readdirSync(root).filter((n) => existsSync(join(root, n, 'mailbox.db'))).sort() : [];
  const findings: DoctorFinding[] = [];
  for (const name of names) findings.push(...checkDatabase(join(root, name), name, options.repair === true));
  return { databases: names, findings, remaining: findings.filter((f) => !f.repaired).length };
}

function checkDatabase(folder: string, name: string, repair: boolean): DoctorFinding[] {
  const db = new Database(join(folder, 'mailbox.db'), { fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  const findings: DoctorFinding[] = [];
  const blobs = new BlobFiles(join(folder, 'blobs'));
  const filesToRemove: string[] = [];
  const add = (check: DoctorCheck, subject: string, found: string, expected: string, repairable: boolean, fix?: () => void) => {
    const repaired = repair && repairable;
    if (repaired) fix?.();
    findings.push({ database: name, check, subject, found, expected, repaired });
  };
  try {
    // One transaction: checks see one state, and repairs land together or not at all. Without
    // --repair it is a read transaction (a running server goes on writing meanwhile).
    const work = db.transaction(() => {
      const folders = db.prepare(`
        SELECT f.id, f.mailbox_id, f.name, f.messages, f.unseen, f.recent, f.size, f.uid_next, f.highest_modseq,
          COALESCE(m.n, 0) AS c_messages, COALESCE(m.unseen, 0) AS c_unseen, COALESCE(m.recent, 0) AS c_recent, COALESCE(m.size, 0) AS c_size,
          MAX(COALESCE(m.max_uid, 0), COALESCE(e.max_uid, 0)) AS max_uid, MAX(COALESCE(m.max_modseq, 0), COALESCE(e.max_modseq, 0)) AS max_modseq
        FROM folders f
        LEFT JOIN (SELECT folder_id, COUNT(*) AS n, SUM(seen = 0) AS unseen, SUM(recent) AS recent, SUM(size) AS size, MAX(uid) AS max_uid, MAX(modseq) AS max_modseq
                   FROM messages GROUP BY folder_id) m ON m.folder_id = f.id
        LEFT JOIN (SELECT folder_id, MAX(uid) AS max_uid, MAX(modseq) AS max_modseq FROM expunged GROUP BY folder_id) e ON e.folder_id = f.id
        ORDER BY f.mailbox_id, f.name`).all() as FolderCounts[];
      for (const f of folders) {
        const subject = `folder '${f.name}' of mailbox ${f.mailbox_id}`;
        const counters = `messages=${f.messages} unseen=${f.unseen} recent=${f.recent} size=${f.size}`;
        const actual = `messages=${f.c_messages} unseen=${f.c_unseen} recent=${f.c_recent} size=${f.c_size}`;
        if (counters !== actual) {
          add('counters', subject, counters, actual, true, () =>
            db.prepare(`UPDATE folders SET messages = ?, unseen = ?, recent = ?, size = ? WHERE id = ?`).run(f.c_messages, f.c_unseen, f.c_recent, f.c_size, f.id));
        }
        if (f.uid_next <= f.max_uid) {
          add('uid-modseq', subject, `UIDNEXT ${f.uid_next}`, `above ${f.max_uid}, the highest UID used`, true, () =>
            db.prepare(`UPDATE folders SET uid_next = ? WHERE id = ?`).run(f.max_uid + 1, f.id));
        }
        if (f.highest_modseq < f.max_modseq) {
          add('uid-modseq', subject, `HIGHESTMODSEQ ${f.highest_modseq}`, `at least ${f.max_modseq}, the highest MODSEQ of a change`, true, () =>
            db.prepare(`UPDATE folders SET highest_modseq = ? WHERE id = ?`).run(f.max_modseq, f.id));
        }
      }

      const usage = new Map<string, { bytes: number; messages: number; recoverable: number; row: boolean }>();
      const entry = (id: string) => usage.get(id) ?? usage.set(id, { bytes: 0, messages: 0, recoverable: 0, row: false }).get(id)!;
      for (const r of db.prepare(`SELECT f.mailbox_id AS id, COUNT(*) AS n, SUM(m.size) AS bytes FROM messages m JOIN folders f ON f.id = m.folder_id GROUP BY f.mailbox_id`).all() as { id: string; n: number; bytes: number }[]) {
        Object.assign(entry(r.id), { messages: r.n, bytes: r.bytes });
      }
      for (const r of db.prepare(`SELECT mailbox_id AS id, SUM(size) AS bytes FROM recoverable GROUP BY mailbox_id`).all() as { id: string; bytes: number }[]) entry(r.id).recoverable = r.bytes;
      const stored = db.prepare(`SELECT mailbox_id AS id, bytes, messages, recoverable_bytes FROM usage`).all() as { id: string; bytes: number; messages: number; recoverable_bytes: number }[];
      const storedById = new Map(stored.map((s) => [s.id, s]));
      for (const s of stored) entry(s.id).row = true;
      for (const [id, want] of usage) {
        const have = storedById.get(id) ?? { bytes: 0, messages: 0, recoverable_bytes: 0 };
        const found = `bytes=${have.bytes} messages=${have.messages} recoverable_bytes=${have.recoverable_bytes}`;
        const expected = `bytes=${want.bytes} messages=${want.messages} recoverable_bytes=${want.recoverable}`;
        if (found === expected) continue;
        add('quota-usage', `mailbox ${id}`, found, expected, true, () =>
          db.prepare(`INSERT INTO usage (mailbox_id, bytes, messages, recoverable_bytes) VALUES (?, ?, ?, ?)
                      ON CONFLICT (mailbox_id) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages, recoverable_bytes = excluded.recoverable_bytes`)
            .run(id, want.bytes, want.messages, want.recoverable));
      }

      const uses = new Map<string, number>();
      for (const r of db.prepare(`SELECT blob_id AS id, COUNT(*) AS n FROM (SELECT blob_id FROM messages UNION ALL SELECT blob_id FROM recoverable) GROUP BY blob_id`).all() as { id: string; n: number }[]) {
        uses.set(r.id, r.n);
      }
      const rows = db.prepare(`SELECT id, refs, size, data IS NULL AS external FROM blobs`).all() as { id: string; refs: number; size: number; external: number }[];
      const external = new Set<string>();
      const rowIds = new Set(rows.map((b) => b.id));
      for (const b of rows) {
        const used = uses.get(b.id) ?? 0;
        if (b.external) external.add(b.id);
        if (used !== b.refs) {
          add('body-refs', `body ${b.id}`, `refs=${b.refs}`, `refs=${used}`, true, () => {
            if (used > 0) {
              db.prepare(`UPDATE blobs SET refs = ? WHERE id = ?`).run(used, b.id);
            } else {
              db.prepare(`DELETE FROM blobs WHERE id = ?`).run(b.id);
              if (b.external) filesToRemove.push(b.id);
            }
          });
        }
        if (b.external && used > 0) {
          let size: number | null = null;
          try {
            size = statSync(blobs.fileOf(b.id)).size;
          } catch {
            // missing: reported below
          }
          if (size !== b.size) {
            add('missing-body', `body ${b.id} (${describeUsers(db, b.id)})`, size === null ? 'file missing' : `file of ${size} bytes`, `${b.size} bytes`, false);
          }
        }
      }
      for (const [id] of uses) {
        if (!rowIds.has(id)) add('missing-body', `body ${id} (${describeUsers(db, id)})`, 'no body row', 'a stored body', false);
      }

      for (const file of listBlobFiles(join(folder, 'blobs'))) {
        if (filesToRemove.includes(file.id)) continue; // already counted as a body no one uses
        if (file.temporary || !external.has(file.id)) {
          add('orphan-body', `file ${file.path}`, file.temporary ? 'temporary file left by an interrupted write' : 'no database row refers to it', 'no file', true, () => filesToRemove.push(file.path));
        }
      }

      findings.push(...checkTextIndex(db, folder, name, repair));
    });
    if (repair) work.immediate();
    else work.deferred();
  } finally {
    db.close();
  }
  // Files go after the commit: a body is never removed while a committed row could still need it.
  for (const item of filesToRemove) rmSync(item.includes('/') ? item : blobs.fileOf(item), { force: true });
  return findings;
}

/** "mailbox X, folder Y, UID n" for the first few messages that use a body, for the report. */
function describeUsers(db: Database.Database, blobId: string): string {
  const users = db.prepare(`SELECT f.mailbox_id AS mailbox, f.name AS folder, m.uid FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.blob_id = ? LIMIT 3`).all(blobId) as { mailbox: string; folder: string; uid: number }[];
  const recoverable = db.prepare(`SELECT COUNT(*) FROM recoverable WHERE blob_id = ?`).pluck().get(blobId) as number;
  const parts = users.map((u) => `mailbox ${u.mailbox} '${u.folder}' UID ${u.uid}`);
  if (recoverable) parts.push(`${recoverable} in Recoverable Items`);
  return parts.join('; ') || 'no message';
}

function listBlobFiles(root: string): { id: string; path: string; temporary: boolean }[] {
  const out: { id: string; path: string; temporary: boolean }[] = [];
  const list = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const a of list(root)) {
    for (const b of list(join(root, a))) {
      for (const name of list(join(root, a, b))) {
        out.push({ id: name, path: join(root, a, b, name), temporary: name.endsWith('.tmp') });
      }
    }
  }
  return out;
}

function checkTextIndex(db: Database.Database, folder: string, name: string, repair: boolean): DoctorFinding[] {
  const indexPath = join(folder, 'index.db');
  if (!existsSync(indexPath)) return []; // rebuilt from the messages when the database is next opened
  const index = new Database(indexPath, { readonly: true, fileMustExist: true });
  let indexed: Set<number>;
  let progress: number;
  try {
    if (Number(index.pragma('user_version', { simple: true })) !== TEXT_INDEX_VERSION) return []; // rebuilt at the next open
    progress = Number(index.prepare(`SELECT seq FROM progress WHERE id = 1`).pluck().get() ?? 0);
    indexed = new Set(index.prepare(`SELECT rowid FROM message_text`).pluck().all() as number[]);
  } finally {
    index.close();
  }
  // Operations still queued settle those messages; only the others are compared.
  const pending = new Set(db.prepare(`SELECT message_id FROM index_queue WHERE seq > ?`).pluck().all(progress) as number[]);
  const ids = db.prepare(`SELECT id FROM messages`).pluck().all() as number[];
  const present = new Set(ids);
  const missing = ids.filter((id) => !indexed.has(id) && !pending.has(id));
  const stale = [...indexed].filter((id) => !present.has(id) && !pending.has(id));
  const findings: DoctorFinding[] = [];
  const queue = db.prepare(`INSERT INTO index_queue (message_id, op) VALUES (?, ?)`);
  if (missing.length) {
    findings.push({ database: name, check: 'text-index', subject: 'full-text index', found: `${missing.length} messages not indexed`, expected: 'every message indexed', repaired: repair });
    if (repair) for (const id of missing) queue.run(id, 1);
  }
  if (stale.length) {
    findings.push({ database: name, check: 'text-index', subject: 'full-text index', found: `${stale.length} entries of messages that are gone`, expected: 'none', repaired: repair });
    if (repair) for (const id of stale) queue.run(id, 0);
  }
  return findings;
}
