// Ending sessions whose logon no longer holds. A session checked the password and the FullAccess
// permission once, at logon; after a password reset (the usual answer to a stolen password) or
// a removed permission it must not go on for hours. The service host calls the back ends after
// every directory change (the revision poll, src/host/server.ts), and they end:
// - every session of an account whose password was set since it logged on, that was removed or
//   whose account was disabled;
// - every session that opened a mailbox through a FullAccess permission the user no longer has:
//   a `user\shared` logon, or an IMAP4 session with a folder of the shared mailbox selected.
import type { Directory } from '../directory/directory.ts';

export interface RevocableSession {
  /** Who logged on. */
  userId: string;
  /** The user's credential serial when it logged on. */
  credentialSerial: number;
  /** Mailboxes other than the user's own that the session has open through FullAccess, now. */
  sharedMailboxIds(): string[];
}

export type RevocationReason = 'password changed' | 'account removed or disabled' | 'FullAccess removed';

/** The sessions to end, each with why. Reads the directory once for all of them. */
export async function revokedSessions<S extends RevocableSession>(directory: Directory, sessions: Iterable<S>): Promise<{ session: S; reason: RevocationReason }[]> {
  const list = [...sessions];
  if (list.length === 0) return [];
  const { users, fullAccess } = await directory.logonStates(list.map((s) => s.userId));
  const revoked: { session: S; reason: RevocationReason }[] = [];
  for (const session of list) {
    const user = users.get(session.userId);
    if (!user || user.accountDisabled) revoked.push({ session, reason: 'account removed or disabled' });
    else if (user.credentialSerial !== session.credentialSerial) revoked.push({ session, reason: 'password changed' });
    else if (session.sharedMailboxIds().some((id) => id !== session.userId && !fullAccess.has(`${id}|${session.userId}`))) {
      revoked.push({ session, reason: 'FullAccess removed' });
    }
  }
  return revoked;
}
