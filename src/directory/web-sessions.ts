// Where signed-in web sessions are kept: the directory, so a session made on one server's web
// service works on every other server's, and survives a restart. A row holds a SHA-256 hash of
// the session token, never the token: reading the directory does not let anyone sign in as the
// users it lists. Times are wall-clock milliseconds (every server reads them); expires_at is the
// earlier of the idle and the absolute limit, so the purge and the count need no arithmetic.
//
// These writes do not move the directory revision: a sign-in is not a configuration change,
// and the services must not reload their settings for it.
import type { Directory } from './directory.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS web_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  mailbox_id TEXT NOT NULL,
  logon_name TEXT NOT NULL,
  credential_serial BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (user_id);
CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires_at);
`;

export interface WebSessionRecord {
  tokenHash: string;
  userId: string;
  mailboxId: string;
  logonName: string;
  credentialSerial: number;
  createdAt: number;
  seenAt: number;
  expiresAt: number;
}

interface Row {
  token_hash: string;
  user_id: string;
  mailbox_id: string;
  logon_name: string;
  credential_serial: number | string;
  created_at: number | string;
  seen_at: number | string;
  expires_at: number | string;
}

// PostgreSQL returns BIGINT as a string.
const fromRow = (r: Row): WebSessionRecord => ({
  tokenHash: r.token_hash, userId: r.user_id, mailboxId: r.mailbox_id, logonName: r.logon_name,
  credentialSerial: Number(r.credential_serial), createdAt: Number(r.created_at), seenAt: Number(r.seen_at), expiresAt: Number(r.expires_at),
});

/** Stores a new session, then drops the user's oldest beyond `perUser`. */
export async function insertWebSession(directory: Directory, record: WebSessionRecord, perUser: number): Promise<void> {
  const db = await directory.tables(SCHEMA);
  await db.run(
    `INSERT INTO web_sessions (token_hash, user_id, mailbox_id, logon_name, credential_serial, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [record.tokenHash, record.userId, record.mailboxId, record.logonName, record.credentialSerial, record.createdAt, record.seenAt, record.expiresAt],
  );
  await db.run(
    `DELETE FROM web_sessions WHERE user_id = ? AND token_hash NOT IN
       (SELECT token_hash FROM web_sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash LIMIT ?)`,
    [record.userId, record.userId, perUser],
  );
}

export async function webSessionByHash(directory: Directory, tokenHash: string): Promise<WebSessionRecord | undefined> {
  const db = await directory.tables(SCHEMA);
  const row = await db.get<Row>(`SELECT * FROM web_sessions WHERE token_hash = ?`, [tokenHash]);
  return row && fromRow(row);
}

/** Records activity: the idle limit counts from `seenAt`. */
export async function touchWebSession(directory: Directory, tokenHash: string, seenAt: number, expiresAt: number): Promise<void> {
  const db = await directory.tables(SCHEMA);
  await db.run(`UPDATE web_sessions SET seen_at = ?, expires_at = ? WHERE token_hash = ?`, [seenAt, expiresAt, tokenHash]);
}

export async function deleteWebSession(directory: Directory, tokenHash: string): Promise<void> {
  const db = await directory.tables(SCHEMA);
  await db.run(`DELETE FROM web_sessions WHERE token_hash = ?`, [tokenHash]);
}

/** Ends every web session of a user (signed in as it, whichever mailbox it opened). */
export async function deleteUserWebSessions(directory: Directory, userId: string): Promise<number> {
  const db = await directory.tables(SCHEMA);
  return (await db.run(`DELETE FROM web_sessions WHERE user_id = ?`, [userId])).changes;
}

export async function deleteExpiredWebSessions(directory: Directory, now: number): Promise<number> {
  const db = await directory.tables(SCHEMA);
  return (await db.run(`DELETE FROM web_sessions WHERE expires_at <= ?`, [now])).changes;
}

/** Sessions not yet expired, on every server. */
export async function countWebSessions(directory: Directory, now: number): Promise<number> {
  const db = await directory.tables(SCHEMA);
  const row = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM web_sessions WHERE expires_at > ?`, [now]);
  return Number(row?.n ?? 0);
}

/** Each distinct sign-in state held, for the revocation sweep. */
export async function webSessionLogons(directory: Directory): Promise<{ userId: string; mailboxId: string; credentialSerial: number }[]> {
  const db = await directory.tables(SCHEMA);
  const rows = await db.all<{ user_id: string; mailbox_id: string; credential_serial: number | string }>(
    `SELECT DISTINCT user_id, mailbox_id, credential_serial FROM web_sessions`,
  );
  return rows.map((r) => ({ userId: r.user_id, mailboxId: r.mailbox_id, credentialSerial: Number(r.credential_serial) }));
}

/** Deletes the sessions of one sign-in state (a user, the mailbox it opened, its credential serial then). */
export async function deleteWebSessionsOf(directory: Directory, logon: { userId: string; mailboxId: string; credentialSerial: number }): Promise<number> {
  const db = await directory.tables(SCHEMA);
  return (await db.run(`DELETE FROM web_sessions WHERE user_id = ? AND mailbox_id = ? AND credential_serial = ?`,
    [logon.userId, logon.mailboxId, logon.credentialSerial])).changes;
}
