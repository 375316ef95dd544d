// Converted messages (MessageRetrievalMimeFormat other than BestBodyFormat), shared by the POP3
// and IMAP4 back ends of this process. A conversion depends only on the stored bytes and the
// format, so what is cached is only a saving: sizes are the same whenever they are computed.
//
// Two bounded caches: the converted size of every message seen (a few dozen bytes each, so a
// POP3 logon's LIST/STAT does not convert the Inbox again at every logon), and the converted
// bytes themselves, least recently used first out, up to MAX_CACHED_BYTES.
import { isRetrievalFormat, renderForRetrieval } from './retrieval-format.ts';

const MAX_CACHED_BYTES = 64 * 1024 * 1024;
/** A converted message larger than this is not kept: it would push out many smaller ones. */
const MAX_CACHED_ONE = 8 * 1024 * 1024;
const MAX_SIZES = 200_000;

export class RenditionCache {
  private readonly sizes = new Map<string, number>();
  private readonly bytes = new Map<string, Buffer>();
  private held = 0;

  /** The message as `format` wants it; `read` gives the stored bytes when they are needed. */
  async render(blobId: string, format: string, read: () => Promise<Buffer>): Promise<Buffer> {
    if (!isRetrievalFormat(format) || format === 'BestBodyFormat') return read();
    const key = `${format}\0${blobId}`;
    const hit = this.bytes.get(key);
    if (hit) {
      this.bytes.delete(key);
      this.bytes.set(key, hit);
      return hit;
    }
    const out = renderForRetrieval(await read(), format);
    this.noteSize(key, out.length);
    if (out.length <= MAX_CACHED_ONE) {
      this.bytes.set(key, out);
      this.held += out.length;
      for (const [k, v] of this.bytes) {
        if (this.held <= MAX_CACHED_BYTES) break;
        this.bytes.delete(k);
        this.held -= v.length;
      }
    }
    return out;
  }

  /** The size of the message as `format` wants it. */
  async size(blobId: string, format: string, storedSize: number, read: () => Promise<Buffer>): Promise<number> {
    if (!isRetrievalFormat(format) || format === 'BestBodyFormat') return storedSize;
    const known = this.sizes.get(`${format}\0${blobId}`);
    if (known !== undefined) return known;
    return (await this.render(blobId, format, read)).length;
  }

  private noteSize(key: string, size: number): void {
    this.sizes.set(key, size);
    if (this.sizes.size > MAX_SIZES) this.sizes.delete(this.sizes.keys().next().value!);
  }
}

/** The one cache of this process. */
export const renditions = new RenditionCache();
