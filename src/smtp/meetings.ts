// Meeting requests whose iCalendar part was replaced by a link (CalendarItemRetrievalOption
// IntranetUrl/InternetUrl/Custom) are kept here, per mailbox and UID, so the meeting web view
// can show them and offer the .ics. Stored in the directory database beside the send connectors.
import type { Directory } from '../directory/directory.ts';
import type { SqlDatabase } from '../lib/sql/types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meetings (
  mailbox_id TEXT NOT NULL,
  uid TEXT NOT NULL,
  ics TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
`;

const db = (directory: Directory): Promise<SqlDatabase> => directory.tables(SCHEMA);

/** Keeps the latest version of a meeting for a mailbox (an update replaces the request). */
export async function saveMeeting(directory: Directory, mailboxId: string, uid: string, ics: string): Promise<void> {
  const d = await db(directory);
  await d.run(
    `INSERT INTO meetings (mailbox_id, uid, ics, received_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (mailbox_id, uid) DO UPDATE SET ics = excluded.ics, received_at = excluded.received_at`,
    [mailboxId, uid, ics, new Date().toISOString()],
  );
}

export async function findMeeting(directory: Directory, mailboxId: string, uid: string): Promise<string | undefined> {
  const row = await (await db(directory)).get<{ ics: string }>(`SELECT ics FROM meetings WHERE mailbox_id = ? AND uid = ?`, [mailboxId, uid]);
  return row?.ics;
}
