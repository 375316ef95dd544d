// The full-text indexer of one mailbox database, in a worker thread: it takes the operations
// queued in mailbox.db's index_queue (committed with the messages they are about), extracts and
// decodes each message's text (the MIME engine) and writes it to index.db's FTS5 tables.
// Tokenizing costs about four times what storing the message does, so doing it here keeps it
// off the thread that answers clients and puts it on another core; it is the design Dovecot's
// indexer-worker has. index.db has this one writer, mailbox.db stays the main thread's.
//
// Progress (the last queue seq applied) is committed in index.db with the rows it covers, so a
// batch interrupted by a crash is simply done again.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { BlobFiles } from '../blob/files.ts';
import { cjkBigrams } from '../cjk.ts';
import { extractIndexedText } from '../index-text.ts';
import { TEXT_INDEX_COLUMNS, TEXT_INDEX_SCHEMA } from './schema.ts';
import { splitSignatures } from './signature-fields.ts';

/** Operations per index.db transaction: small enough that progress is reported often. */
const BATCH = 64;
/** How often the queue is looked at without a wake-up (other processes append too). */
const POLL_MS = 1000;
/** How long newly stored mail is gathered before it is indexed, unless a search is waiting. */
const GATHER_MS = 50;

export interface TextIndexWorkerData {
  folder: string;
}

export type TextIndexMessage = { type: 'progress'; seq: number } | { type: 'error'; message: string };

const { folder } = workerData as TextIndexWorkerData;
const port = parentPort!;
const store = new Database(join(folder, 'mailbox.db'), { readonly: true, fileMustExist: true });
store.pragma('busy_timeout = 10000');
const index = new Database(join(folder, 'index.db'));
index.pragma('journal_mode = WAL');
// FULL as for mailbox.db: the queue rows below progress are pruned, so progress must not run
// ahead of what survives a power loss.
index.pragma('synchronous = FULL');
index.pragma('busy_timeout = 10000');
index.exec(TEXT_INDEX_SCHEMA);
const blobs = new BlobFiles(join(folder, 'blobs'));

const readProgress = index.prepare(`SELECT seq FROM progress WHERE id = 1`).pluck();
const writeProgress = index.prepare(`UPDATE progress SET seq = ? WHERE id = 1`);
const pending = store.prepare(`SELECT seq, message_id, op FROM index_queue WHERE seq > ? ORDER BY seq LIMIT ?`);
const messageBlob = store.prepare(`SELECT m.blob_id AS blob_id, b.rowid AS blob_row, b.data AS data FROM messages m JOIN blobs b ON b.id = m.blob_id WHERE m.id = ?`);
const insertText = index.prepare(
  `INSERT INTO message_text (id, ${TEXT_INDEX_COLUMNS.join(', ')}, raw_blob, raw_start, raw_end) VALUES (?${', ?'.repeat(TEXT_INDEX_COLUMNS.length + 3)})`,
);
const insertTrigrams = index.prepare(`INSERT INTO message_trigrams (rowid, text) VALUES (?, ?)`);
const insertBigrams = index.prepare(`INSERT INTO message_bigrams (rowid, headers, body) VALUES (?, ?, ?)`);
const deleteText = index.prepare(`DELETE FROM message_text WHERE id = ?`);
const deleteTrigrams = index.prepare(`DELETE FROM message_trigrams WHERE rowid = ?`);
const deleteBigrams = index.prepare(`DELETE FROM message_bigrams WHERE rowid = ?`);

/**
 * The message's bytes, and the rowid of their blobs row when they are kept inside mailbox.db
 * (where SEARCH can read them); null when the message is gone (expunged before its turn came).
 */
function messageBytes(id: number): { raw: Buffer; inlineRow: number | null } | null {
  const row = messageBlob.get(id) as { blob_id: string; blob_row: number; data: Buffer | null } | undefined;
  if (!row) return null;
  if (row.data) return { raw: row.data, inlineRow: row.blob_row };
  try {
    return { raw: readFileSync(blobs.fileOf(row.blob_id)), inlineRow: null };
  } catch {
    return null;
  }
}

function apply(messageId: number, op: number): void {
  // Remove first in both cases: an add done twice (a batch redone after a crash) stays one row.
  deleteText.run(messageId);
  deleteTrigrams.run(messageId);
  deleteBigrams.run(messageId);
  if (op !== 1) return;
  const message = messageBytes(messageId);
  if (!message) return;
  const t = extractIndexedText(message.raw);
  const { indexed, signatures } = splitSignatures(t.headers);
  // In lower case: SEARCH compares without case, and then needs no lower() per message.
  const values = [t.subject, t.from, t.to, t.cc, t.bcc, indexed, t.body].map((v) => v.toLowerCase());
  // A part that is the message's own bytes is checked there, not copied (schema.ts); cut
  // before lowering, where the offsets hold.
  const verbatim = message.inlineRow !== null ? t.verbatim : null;
  const storedBody = verbatim ? `${t.body.slice(0, verbatim.offset)}${t.body.slice(verbatim.offset + verbatim.length)}`.toLowerCase() : values.at(-1)!;
  insertText.run(messageId, ...values.slice(0, -1), storedBody, signatures.toLowerCase(), verbatim ? message.inlineRow : null, verbatim?.start ?? null, verbatim?.end ?? null);
  // One text per message: the trigram index only says which messages hold a trigram, and
  // SEARCH checks the field itself in message_text.
  insertTrigrams.run(messageId, values.join('\n'));
  // Newlines keep the fields apart: no bigram is made of the end of one and the start of the next.
  const headerBigrams = cjkBigrams(values.slice(0, -1).join('\n'));
  const bodyBigrams = cjkBigrams(values.at(-1)!);
  if (headerBigrams !== '' || bodyBigrams !== '') insertBigrams.run(messageId, headerBigrams, bodyBigrams);
}

/** Applies one batch; returns how many operations it held. */
const runBatch = index.transaction((): number => {
  const from = readProgress.get() as number;
  const ops = pending.all(from, BATCH) as { seq: number; message_id: number; op: number }[];
  for (const o of ops) apply(o.message_id, o.op);
  if (ops.length > 0) writeProgress.run(ops.at(-1)!.seq);
  return ops.length;
});

let wake: (() => void) | null = null;
/** A wake-up that came while a batch ran: the next sleep is cut short. */
let woken: 'soon' | 'now' | null = null;
port.on('message', (m) => {
  if (m !== 'soon' && m !== 'now') return;
  if (m === 'now' || woken !== 'now') woken = m;
  wake?.();
});

/**
 * Waits up to `ms`, less when woken: at once for 'now' (a search is waiting), after GATHER_MS
 * for 'soon' (mail was stored), so that one transaction takes several messages. Each index.db
 * transaction costs an fsync and a new FTS5 segment that must be merged later; at a few
 * hundred messages a second, indexing them one at a time cost more than the indexing itself.
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, ms);
    let gathering = false;
    function check() {
      if (woken === 'now') done();
      else if (woken === 'soon' && !gathering) {
        gathering = true;
        clearTimeout(timer);
        timer = setTimeout(done, GATHER_MS);
      }
    }
    function done() {
      clearTimeout(timer);
      wake = null;
      woken = null;
      resolve();
    }
    wake = check;
    check();
  });
}

for (;;) {
  let done: number;
  try {
    // IMMEDIATE: another process's indexer of the same database waits instead of redoing work.
    done = runBatch.immediate();
    port.postMessage({ type: 'progress', seq: readProgress.get() as number } satisfies TextIndexMessage);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies TextIndexMessage);
    done = 0;
  }
  // A full batch: more is waiting, go on at once. Otherwise wait for a wake-up, or poll for
  // what other processes queue.
  if (done === BATCH) await new Promise((r) => setImmediate(r));
  else await sleep(POLL_MS);
}
