// Message bodies too large to keep inside the database, stored once per SHA-256 as files
// under blobs/ab/cd/<hash>. A file is complete on disk (written to a temporary name, fsynced,
// renamed, directory fsynced) before any transaction refers to it.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../lib/private-files.ts';

export class BlobFiles {
  constructor(private readonly root: string) {}

  static idOf(raw: Buffer): string {
    return createHash('sha256').update(raw).digest('hex');
  }

  private pathOf(id: string): { dir: string; file: string } {
    const dir = join(this.root, id.slice(0, 2), id.slice(2, 4));
    return { dir, file: join(dir, id) };
  }

  /** Where the file of a blob kept outside the database is. */
  fileOf(id: string): string {
    return this.pathOf(id).file;
  }

  async write(id: string, data: Buffer): Promise<void> {
    const { dir, file } = this.pathOf(id);
    try {
      const st = await fs.stat(file);
      if (st.size === data.length) return;
    } catch {
      // not there yet
    }
    await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = join(dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await fs.open(tmp, 'w', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  exists(id: string): boolean {
    return existsSync(this.pathOf(id).file);
  }

  /**
   * Synchronous on purpose: called right after the commit that dropped the last reference, in
   * the same turn of the event loop, so no append can see the row gone but the file present.
   */
  removeNow(ids: string[]): void {
    for (const id of ids) rmSync(this.pathOf(id).file, { force: true });
  }

  async read(id: string, start: number, end: number): Promise<Buffer> {
    const handle = await fs.open(this.pathOf(id).file, 'r');
    try {
      const out = Buffer.alloc(end - start);
      return out.subarray(0, await fill(handle, out, start));
    } finally {
      await handle.close();
    }
  }

  /**
   * Bytes [start, end) of a blob in pieces of at most `chunk` bytes, each read when the last has
   * been taken: a reader that writes them to a slow client holds one piece, not the blob. The
   * file stays readable to the end once opened, even if its last reference goes meanwhile.
   * Throws if the file ends early, so that a reader that announced the length can stop.
   *
   * `reusable`, asked before each read: the last piece is no longer referenced (its socket has
   * written it), so the next is read into the same memory. Without it, or when it says no, each
   * piece is new: a socket's queue may still hold the last one.
   */
  async *chunks(id: string, start: number, end: number, chunk: number, reusable?: () => boolean): AsyncGenerator<Buffer> {
    const handle = await fs.open(this.pathOf(id).file, 'r');
    try {
      let memory: Buffer | null = null;
      for (let at = start; at < end;) {
        const size = Math.min(chunk, end - at);
        memory = memory && memory.length >= size && reusable?.() ? memory : Buffer.allocUnsafe(Math.min(chunk, end - start));
        const piece = memory.subarray(0, size);
        const filled = await fill(handle, piece, at);
        if (filled < size) throw new Error(`blob file ${id} ends at ${at + filled} bytes, before ${end}`);
        at += filled;
        yield piece;
      }
    } finally {
      await handle.close();
    }
  }

  async remove(ids: string[]): Promise<void> {
    for (const id of ids) await fs.rm(this.pathOf(id).file, { force: true });
  }

  /** Deletes files that `isKnown` does not claim, and leftover temporary files. */
  async sweep(isKnown: (id: string) => boolean): Promise<void> {
    let top: string[];
    try {
      top = await fs.readdir(this.root);
    } catch {
      return;
    }
    for (const a of top) {
      for (const b of await fs.readdir(join(this.root, a)).catch(() => [] as string[])) {
        const dir = join(this.root, a, b);
        for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
          if (name.endsWith('.tmp') || !isKnown(name)) await fs.rm(join(dir, name), { force: true });
        }
      }
    }
  }
}

/** Reads into all of `out` from `position`, as far as the file goes; returns the bytes read. */
async function fill(handle: fs.FileHandle, out: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, out.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
