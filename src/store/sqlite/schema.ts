// Tables of one mailbox database (mailbox.db) and of its full-text index (index.db).

/**
 * The sort-key columns of messages: in STORE_SCHEMA for a new database, and added to one from
 * before them (the values then filled from each message's header at open).
 */
export const SORT_KEY_COLUMNS: readonly [name: string, definition: string][] = [
  ['sort_date', `INTEGER NOT NULL DEFAULT 0`],
  ['sort_subject', `TEXT NOT NULL DEFAULT ''`],
  ['subject_reply', `INTEGER NOT NULL DEFAULT 0`],
  ['sort_from', `TEXT NOT NULL DEFAULT ''`],
  ['sort_to', `TEXT NOT NULL DEFAULT ''`],
  ['sort_cc', `TEXT NOT NULL DEFAULT ''`],
  ['sort_display_from', `TEXT NOT NULL DEFAULT ''`],
  ['sort_display_to', `TEXT NOT NULL DEFAULT ''`],
  ['header_message_id', `TEXT`],
  ['header_references', `TEXT NOT NULL DEFAULT ''`],
];

/**
 * System flags with a partial index of the messages that carry them: [flag, index name]. The
 * indexes hold the flags too, so that SEARCH FLAGGED reads no row (the condition is tested again
 * on each entry: SQLite does not drop it for the partial index).
 */
export const SYSTEM_FLAG_INDEXES: readonly [flag: string, index: string][] = [['\\Flagged', 'messages_flagged_rows'], ['\\Deleted', 'messages_deleted_rows']];

/**
 * The SQL test "messages.flags holds this system flag", with the flag written into the SQL (not
 * a parameter) so that SQLite can match it to the partial index with the same condition.
 */
export function systemFlagTest(flag: string, column = 'flags'): string {
  return `instr(${column}, '${JSON.stringify(flag)}') > 0`;
}

// `messages.id` is the row id the full-text index points at.
export const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS folders (
  -- AUTOINCREMENT: a session may still hold the id of a folder another session deleted; that
  -- id must never name someone else's new folder.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT,
  hidden INTEGER NOT NULL DEFAULT 0,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  messages INTEGER NOT NULL DEFAULT 0,
  unseen INTEGER NOT NULL DEFAULT 0,
  recent INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  UNIQUE (mailbox_id, name)
);
-- The subscription list (RFC 3501 §6.3.6): names, not a property of folders, because a name
-- stays subscribed when its folder is deleted. Names of shared folders are as the subscriber's
-- client sees them ("Other Users/<alias>/...").
CREATE TABLE IF NOT EXISTS subscriptions (
  mailbox_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, name)
);
CREATE TABLE IF NOT EXISTS blobs (
  id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL,
  data BLOB
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  flags TEXT NOT NULL,
  seen INTEGER NOT NULL,
  recent INTEGER NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  sender TEXT NOT NULL DEFAULT '',
  -- The Date field's calendar day as written (RFC 3501 SENT* keys), days since 1970-01-01;
  -- NULL when the message has no readable Date field.
  sent_day INTEGER,
  -- The keys SORT and THREAD compare (RFC 5256, RFC 5957), made at append by src/mime/sort-keys.ts
  -- and copied with the row: sort_date is the Date field in ms (else internal_date); the sort_*
  -- strings are i;unicode-casemap keys, whose code point order is SQLite's BINARY order, so
  -- ORDER BY on them is SORT's order. subject_reply: a Re:/Fwd: marker was taken off the
  -- subject. header_references: the References ids (else In-Reply-To's first), space-separated.
  ${SORT_KEY_COLUMNS.map(([name, definition]) => `${name} ${definition},`).join('\n  ')}
  UNIQUE (folder_id, uid)
);
-- Messages whose full-text index entry is still to be written (op 1) or removed (op 0). The
-- index lives in index.db and is written by a worker thread (text-index-worker.ts); a row here
-- is committed with the message, so nothing is ever left unindexed by a crash. AUTOINCREMENT:
-- the worker's progress is a seq, which must only grow.
CREATE TABLE IF NOT EXISTS index_queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL,
  op INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_modseq ON messages (folder_id, modseq);
-- UID, MODSEQ and flags of a folder's messages in UID order, without their rows: FETCH 1:* (UID
-- FLAGS), what every client sends to resync, reads this instead of rows of 20-odd columns.
CREATE INDEX IF NOT EXISTS messages_flag_rows ON messages (folder_id, uid, modseq, flags);
-- The unseen messages of a folder in UID order: SELECT's first unseen message and SEARCH UNSEEN
-- read this instead of every row.
CREATE INDEX IF NOT EXISTS messages_unseen ON messages (folder_id, uid) WHERE seen = 0;
-- The flagged and the deleted messages of a folder, for SEARCH FLAGGED (a client's starred
-- view) and SEARCH DELETED: few messages carry these, so the indexes are small. The condition is
-- the flag's JSON string in the stored list, exactly as SEARCH writes it (system flags are
-- stored in their canonical case; a keyword cannot hold a backslash).
-- (Before these held the flags, they were messages_flagged and messages_deleted.)
DROP INDEX IF EXISTS messages_flagged;
DROP INDEX IF EXISTS messages_deleted;
${SYSTEM_FLAG_INDEXES.map(([flag, name]) => `CREATE INDEX IF NOT EXISTS ${name} ON messages (folder_id, uid, flags) WHERE ${systemFlagTest(flag)};`).join('\n')}
-- Keywords ($Forwarded, Junk, …) the messages of a folder hold, with how many hold each, kept in
-- the transaction that changes flags: SELECT's FLAGS response reads these rows instead of every
-- message. \`keyword\` is lower case (keywords compare without regard to case), \`name\` as first
-- written; a keyword no message holds any more has no row.
CREATE TABLE IF NOT EXISTS folder_keywords (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  keyword TEXT NOT NULL,
  name TEXT NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (folder_id, keyword)
);
CREATE TABLE IF NOT EXISTS expunged (
  folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (folder_id, uid)
);
CREATE INDEX IF NOT EXISTS expunged_by_modseq ON expunged (folder_id, modseq);
CREATE TABLE IF NOT EXISTS usage (
  mailbox_id TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0,
  recoverable_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS recoverable (
  id INTEGER PRIMARY KEY,
  mailbox_id TEXT NOT NULL,
  folder_name TEXT NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  flags TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  purge_after INTEGER NOT NULL,
  reason TEXT NOT NULL,
  subject TEXT NOT NULL,
  sender TEXT NOT NULL
);
-- Identities of messages brought in by an import (AppendInput.importKey), per mailbox: written
-- in the transaction that adds the message, so an import run again adds nothing twice.
CREATE TABLE IF NOT EXISTS import_keys (
  mailbox_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, key)
);
CREATE INDEX IF NOT EXISTS recoverable_by_mailbox ON recoverable (mailbox_id, deleted_at);
CREATE INDEX IF NOT EXISTS recoverable_by_purge ON recoverable (purge_after);
`;

/**
 * Indexes for SORT, made once the sort-key columns exist and are filled: SORT by one of these
 * keys over a folder is a walk of its index, reading no row. ARRIVAL, DATE (and REVERSE of
 * each) are what clients ask for most; each index is 1.5–3.5 MB for 100,000 messages. TO, CC
 * and the display names are sorted by SQLite on the fly.
 */
export const SORT_INDEXES = `
CREATE INDEX IF NOT EXISTS messages_by_arrival ON messages (folder_id, internal_date, uid);
CREATE INDEX IF NOT EXISTS messages_by_size ON messages (folder_id, size, uid);
CREATE INDEX IF NOT EXISTS messages_by_date ON messages (folder_id, sort_date, uid);
CREATE INDEX IF NOT EXISTS messages_by_subject ON messages (folder_id, sort_subject, uid);
CREATE INDEX IF NOT EXISTS messages_by_from ON messages (folder_id, sort_from, uid);
`;

/** index.db's layout version (PRAGMA user_version): an index.db of another version is rebuilt. */
export const TEXT_INDEX_VERSION = 4;

/** message_text's columns in order: each message's decoded text, by what SEARCH asks of it. */
export const TEXT_INDEX_COLUMNS = ['subject', 'sender', 'recipients_to', 'recipients_cc', 'recipients_bcc', 'headers', 'body', 'signatures'] as const;

/**
 * index.db: the full-text index of one mailbox database, written only by its worker thread.
 *
 * The decoded text is kept once, in message_text; the two FTS5 tables are contentless and hold
 * only which messages contain each token (the bigrams also in which column): the trigrams take
 * a seventh of an index that also records every token's position (docs/storage.md, "Search"). An
 * index lookup gives candidates, which SEARCH then checks against message_text: the trigram
 * index answers "has all these trigrams somewhere in the message", not "has them in this order,
 * in this field".
 */
export const TEXT_INDEX_SCHEMA = `
-- Decoded text for SEARCH, in lower case (JavaScript's toLowerCase). "signatures" holds the
-- DKIM-Signature and ARC signature fields, kept for SEARCH HEADER but not indexed: long base64
-- values nobody searches, a fifth of a typical message's text. A text/plain part that is its
-- own bytes (7bit or 8bit, US-ASCII or UTF-8: most plain mail) is not copied into "body": its
-- place in the message kept inside mailbox.db is [raw_start, raw_end) of the blobs row whose
-- rowid is raw_blob (a lookup by rowid, cheaper than by content hash), and SEARCH checks those
-- bytes instead (NULL: "body" holds all of the text).
CREATE TABLE IF NOT EXISTS message_text (
  id INTEGER PRIMARY KEY,
  ${TEXT_INDEX_COLUMNS.map((c) => `${c} TEXT NOT NULL`).join(', ')},
  raw_blob INTEGER,
  raw_start INTEGER,
  raw_end INTEGER
);
-- The trigrams of a message's indexed fields (joined by newlines), case-folded: a string of 3+
-- characters can only be in messages that have every trigram of it.
CREATE VIRTUAL TABLE IF NOT EXISTS message_trigrams USING fts5(
  text, tokenize = 'trigram case_sensitive 0', content = '', contentless_delete = 1, detail = none
);
-- Every run of CJK characters as overlapping two-character words ("會議室" → "會議 議室"), so that
-- two-character Chinese and Japanese words, too short for trigrams, are found through an index
-- too: of the header fields and of the body apart (detail=column), so that BODY and TEXT need
-- no check of the text. Messages without CJK text have no row.
CREATE VIRTUAL TABLE IF NOT EXISTS message_bigrams USING fts5(
  headers, body, tokenize = 'unicode61', content = '', contentless_delete = 1, detail = column
);
-- The last index_queue seq whose operation is in the index: committed with the index rows.
CREATE TABLE IF NOT EXISTS progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
);
INSERT INTO progress (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
`;
