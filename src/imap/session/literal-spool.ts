// APPEND literals on disk. A MULTIAPPEND (RFC 3502) may carry up to 100 MB of messages, and a
// slow client can take minutes to send them; held in memory, a handful of sessions would hold
// gigabytes. Beyond IN_MEMORY_LITERAL_BYTES per command, each literal is written to a file in
// the data folder as it arrives (spool/imap/, 0600), and read back one message at a time when
// the command commits. Files go when the command ends, when the connection closes, and, for a
// process that was killed, when the next imap4-backend starts.
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, rmSync, type Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { dataFolder } from '../../lib/env.ts';
import { processAlive } from '../../lib/process-alive.ts';

/** Bytes of literals one APPEND keeps in memory; every literal past them goes to a spool file. */
export const IN_MEMORY_LITERAL_BYTES = 256 * 1024;

const SUFFIX = '.literal';

export function spoolFolder(): string {
  return join(dataFolder(), 'spool', 'imap');
}

/** One literal being written to, or read back from, its spool file. */
export class SpooledLiteral {
  private handle: FileHandle | null;
  private removed = false;
  private written = 0;

  private constructor(
    readonly path: string,
    /** The size the client announced. */
    readonly size: number,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  static async create(size: number): Promise<SpooledLiteral> {
    const folder = spoolFolder();
    await fs.mkdir(folder, { recursive: true, mode: 0o700 });
    // The process id lets a later start tell a dead process's files from a live one's.
    const path = join(folder, `${process.pid}-${randomBytes(12).toString('hex')}${SUFFIX}`);
    return new SpooledLiteral(path, size, await fs.open(path, 'wx', 0o600));
  }

  async write(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length && !this.removed; ) {
      const { bytesWritten } = await this.handle!.write(chunk, at, chunk.length - at, this.written);
      at += bytesWritten;
      this.written += bytesWritten;
    }
  }

  /** All bytes are in; the file is closed until read() (no fsync: it lives for one command). */
  async finish(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  async read(): Promise<Buffer> {
    if (this.removed) throw new Error('the spooled literal was removed');
    return fs.readFile(this.path);
  }

  /** Deletes the file at once, even while a write is under way (the write then goes nowhere). */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    rmSync(this.path, { force: true });
    const handle = this.handle;
    this.handle = null;
    handle?.close().catch(() => undefined);
  }
}

/** Removes the spool files of processes that are gone (killed while a client was appending). */
export function sweepSpool(): number {
  let entries: Dirent[];
  try {
    entries = readdirSync(spoolFolder(), { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(SUFFIX)) continue;
    const pid = Number(entry.name.slice(0, entry.name.indexOf('-')));
    const owned = Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid));
    if (owned) continue;
    rmSync(join(spoolFolder(), entry.name), { force: true });
    removed++;
  }
  return removed;
}
