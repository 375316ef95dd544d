// IMAP flags as stored: system flags in their canonical case, keywords as the client wrote
// them, no duplicates (compared case-insensitively, RFC 3501 §2.3.2), sorted for stable output.
import type { Flag, FlagOperation } from './types.ts';

const SYSTEM = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];

export function normalizeFlags(flags: readonly Flag[]): Flag[] {
  const out = new Map<string, Flag>();
  for (const f of flags) {
    const system = SYSTEM.find((s) => s.toLowerCase() === f.toLowerCase());
    // \Recent belongs to the server (RFC 3501 §2.3.2): a client can neither set nor clear it.
    if (f.toLowerCase() === '\\recent') continue;
    const value = system ?? f;
    if (!out.has(value.toLowerCase())) out.set(value.toLowerCase(), value);
  }
  return [...out.values()].sort((a, b) => (a.startsWith('\\') === b.startsWith('\\') ? a.localeCompare(b) : a.startsWith('\\') ? -1 : 1));
}

export function applyFlagOperation(current: readonly Flag[], op: FlagOperation, flags: readonly Flag[]): Flag[] {
  if (op === 'replace') return normalizeFlags(flags);
  if (op === 'add') return normalizeFlags([...current, ...flags]);
  const remove = new Set(flags.map((f) => f.toLowerCase()));
  return normalizeFlags(current.filter((f) => !remove.has(f.toLowerCase())));
}

export function hasSeen(flags: readonly Flag[]): boolean {
  return flags.includes('\\Seen');
}
