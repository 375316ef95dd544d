// Deleting old protocol log files the way Exchange's transport logs do: files past the maximum
// age go first (by their last write), then, while the folder holds more than the maximum
// directory size, the oldest files. The file being written is never deleted; only files whose
// names the log itself makes (`isLogFile`) are touched, so nothing an admin put beside them goes.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RetentionLimits {
  /** Milliseconds since the last write; 0 keeps files regardless of age. */
  maxAgeMs: number;
  maxDirectoryBytes: number | 'unlimited';
}

export interface RetentionResult {
  deleted: string[];
  /** Bytes of the log files left in the folder. */
  keptBytes: number;
}

export function pruneLogFolder(
  folder: string,
  isLogFile: (name: string) => boolean,
  limits: RetentionLimits,
  options: { now?: number; current?: string | null } = {},
): RetentionResult {
  const now = options.now ?? Date.now();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return { deleted: [], keptBytes: 0 };
  }
  const files: { name: string; size: number; mtime: number }[] = [];
  for (const name of names) {
    if (!isLogFile(name)) continue;
    try {
      const st = statSync(join(folder, name));
      if (st.isFile()) files.push({ name, size: st.size, mtime: st.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  // Oldest first; names sort by date and sequence where the times are equal.
  files.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name, 'en', { numeric: true }));
  const deleted: string[] = [];
  const remove = (name: string) => {
    try {
      rmSync(join(folder, name), { force: true });
      deleted.push(name);
      return true;
    } catch {
      return false;
    }
  };
  const kept: typeof files = [];
  for (const f of files) {
    if (f.name !== options.current && limits.maxAgeMs > 0 && now - f.mtime > limits.maxAgeMs && remove(f.name)) continue;
    kept.push(f);
  }
  let total = kept.reduce((sum, f) => sum + f.size, 0);
  if (limits.maxDirectoryBytes !== 'unlimited') {
    for (const f of [...kept]) {
      if (total <= limits.maxDirectoryBytes) break;
      if (f.name === options.current) continue;
      if (remove(f.name)) {
        total -= f.size;
        kept.splice(kept.indexOf(f), 1);
      }
    }
  }
  return { deleted, keptBytes: total };
}
