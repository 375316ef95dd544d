// Which addresses each account has logged on from successfully. The failed-logon throttle gives
// an account its own lane at such an address, free of the delay that other people's failures
// put on the address (see throttle.ts): an office behind one NAT address keeps working while a
// stranger's guesses from the same address are slowed.
//
// Kept in the directory, so that it survives a restart (when every client reconnects at once)
// and is shared by the servers of an organization. A pair is written at most once a day, and
// forgotten after 60 days without a logon from it.
import type { Directory } from '../directory/directory.ts';
import { throttleAddress } from './throttle.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logon_addresses (
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  last_logon BIGINT NOT NULL,
  PRIMARY KEY (mailbox_id, address)
);
`;

const DAY = 86_400_000;

export interface KnownAddressesOptions {
  now?: () => number;
  /** A pair not seen for this long no longer counts as known. */
  rememberMs?: number;
  /** Pairs kept in memory in front of the directory. */
  maxCached?: number;
}

export class KnownLogonAddresses {
  private readonly now: () => number;
  private readonly rememberMs: number;
  private readonly maxCached: number;
  /** "mailbox id|address unit" → when it was last written to the directory. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly directory: Directory,
    options: KnownAddressesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.rememberMs = options.rememberMs ?? 60 * DAY;
    this.maxCached = options.maxCached ?? 100_000;
  }

  /** Whether the account has logged on successfully from this address (its /64 for IPv6). */
  async has(mailboxId: string, address: string | undefined): Promise<boolean> {
    if (!address) return false;
    const unit = throttleAddress(address);
    const cached = this.written.get(`${mailboxId}|${unit}`);
    const now = this.now();
    if (cached !== undefined && now - cached < this.rememberMs) return true;
    const db = await this.directory.tables(SCHEMA);
    const row = await db.get<{ last_logon: number | string }>(
      `SELECT last_logon FROM logon_addresses WHERE mailbox_id = ? AND address = ?`,
      [mailboxId, unit],
    );
    if (!row || now - Number(row.last_logon) >= this.rememberMs) return false;
    this.cache(`${mailboxId}|${unit}`, Number(row.last_logon));
    return true;
  }

  /** Records a successful logon. Writes to the directory at most once a day per pair. */
  async remember(mailboxId: string, address: string | undefined): Promise<void> {
    if (!address) return;
    const unit = throttleAddress(address);
    const key = `${mailboxId}|${unit}`;
    const now = this.now();
    const last = this.written.get(key);
    if (last !== undefined && now - last < DAY) return;
    this.cache(key, now);
    const db = await this.directory.tables(SCHEMA);
    // Not a configuration change: the revision stays where it is.
    await db.run(
      `INSERT INTO logon_addresses (mailbox_id, address, last_logon) VALUES (?, ?, ?)
       ON CONFLICT (mailbox_id, address) DO UPDATE SET last_logon = excluded.last_logon`,
      [mailboxId, unit, now],
    );
    await db.run(`DELETE FROM logon_addresses WHERE mailbox_id = ? AND last_logon < ?`, [mailboxId, now - this.rememberMs]);
  }

  private cache(key: string, at: number): void {
    this.written.delete(key);
    this.written.set(key, at);
    // Oldest first: the front goes when the map is full.
    while (this.written.size > this.maxCached) {
      const oldest = this.written.keys().next().value;
      if (oldest === undefined) break;
      this.written.delete(oldest);
    }
  }
}
