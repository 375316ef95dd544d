// FETCH and UID FETCH (RFC 3501 §6.4.5, RFC 7162 §3.1.4 CHANGEDSINCE and MODSEQ). Every byte
// comes from the stored message: BODY[] and RFC822.SIZE are exact, sections are slices, and
// each message's response is written before the next is read, so memory stays bounded.
import { lowerBound, sameElements } from '../../lib/sorted-search.ts';
import { renditions } from '../../mime/rendition-cache.ts';
import { bodyBasic, bodyStructure, decodeTransferEncoding, envelope, isWholeMessage, partialWindow, scanMessage, sectionBytes, sectionPart, sectionRange, type MessagePart } from '../../mime/index.ts';
import type { FlagColumns, MessageSummary } from '../../store/types.ts';
import { ByteLines, fetchItemLabel, flagList, formatDateTime, rangesContain, resolveSequenceSet, vanished, type FetchItem } from '../protocol/index.ts';
import { flagLines, RUN, type FlagLinesRun } from '../flag-lines.ts';
import { defineCommand, no, type CommandOf } from '../session/command.ts';
import type { SessionContext } from '../session/context.ts';

/** Messages read from the store at a time: summaries, or UID/MODSEQ/flag columns for the light path. */
const SLICE = 500;
/** A kept run of lines (flag-lines.ts) is one such slice. */
const LIGHT_SLICE = RUN;
/** Bytes of responses gathered into one write. */
const BATCH_BYTES = 64 * 1024;
const STAR = Buffer.from('* ');
/**
 * A message at least this large is sent from the store as it is read, for BODY[] and RFC822 of
 * the whole message: ten clients fetching a 50 MB attachment hold a few pieces of it each, not
 * ten copies. (Smaller messages live in the database and are read whole in one step.)
 */
const STREAM_FROM = 256 * 1024;

/** Bytes [start, end) of a stored message, to be written as they are read. */
class StoredSlice {
  constructor(readonly blobId: string, readonly start: number, readonly end: number) {}
}

type Piece = string | Buffer | StoredSlice;

/** Items that need the message bytes, not just its row. */
function needsContent(item: FetchItem, converted: boolean): boolean {
  if (item.kind !== 'attribute') return true;
  // A converted message's size is that of the converted bytes (MessageRetrievalMimeFormat).
  if (converted && item.name === 'RFC822.SIZE') return true;
  return ['ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT'].includes(item.name);
}

/** BODY[] (or BODY.PEEK[], with or without <partial>) or RFC822: the stored bytes as they are. */
function isWholeMessageItem(item: FetchItem): boolean {
  if (item.kind === 'body') return isWholeMessage(item.section);
  return item.kind === 'attribute' && item.name === 'RFC822';
}

/** A whole-message item of a message sent from the store as it is read: the label and the literal's length now, the bytes after. */
function streamed(item: FetchItem, m: MessageSummary): Piece[] {
  let start = 0;
  let end = m.size;
  if (item.kind === 'body' && item.partial) ({ start, end } = partialWindow(m.size, item.partial.offset, item.partial.length));
  const label = item.kind === 'body' ? fetchItemLabel(item) : 'RFC822';
  return [`${label} {${end - start}}\r\n`, new StoredSlice(m.blobId, start, end)];
}

/** BODY[...] without PEEK, RFC822 and RFC822.TEXT set \Seen (RFC 3501 §6.4.5). */
function setsSeen(item: FetchItem): boolean {
  if (item.kind === 'body' || item.kind === 'binary') return !item.peek;
  return item.kind === 'attribute' && (item.name === 'RFC822' || item.name === 'RFC822.TEXT');
}

/**
 * BINARY[part] (RFC 3516 §4.2): the part's body with its Content-Transfer-Encoding undone.
 * Part 1 of a single-part message is its body; a multipart or message/rfc822 part is never
 * encoded (RFC 2045 §6.4), so its bytes come as they are. An encoding the server cannot undo
 * is refused with [UNKNOWN-CTE].
 */
function binaryContent(content: Loaded, path: number[]): Buffer {
  if (path.length === 0) return content.raw;
  const part = sectionPart(content.root, path);
  if (!part) throw no(`There is no part ${path.join('.')} to decode.`, 'NONEXISTENT');
  const body = content.raw.subarray(part.bodyStart, part.bodyEnd);
  if (part.kind === 'multipart' || part.kind === 'message') return body;
  const encoding = (part.encoding ?? '7bit').toLowerCase();
  if (!['7bit', '8bit', 'binary', 'base64', 'quoted-printable'].includes(encoding)) throw no(`Cannot decode ${encoding}.`, 'UNKNOWN-CTE');
  return decodeTransferEncoding(body, encoding);
}

function literal(data: Buffer): Buffer[] {
  return [Buffer.from(`{${data.length}}\r\n`), data];
}

/**
 * A message as this session serves it, and its MIME structure, scanned the first time an item
 * needs it: BODY[], BINARY[] and RFC822 of the whole message, and RFC822.SIZE, do not.
 */
class Loaded {
  private scanned: MessagePart | undefined;
  constructor(readonly raw: Buffer) {}
  get root(): MessagePart {
    return (this.scanned ??= scanMessage(this.raw));
  }
}

function render(session: SessionContext, item: FetchItem, m: MessageSummary, flags: readonly string[], content: Loaded | null): (string | Buffer)[] {
  const utf8 = session.utf8;
  switch (item.kind) {
    case 'attribute':
      switch (item.name) {
        case 'UID': return [`UID ${m.uid}`];
        case 'FLAGS': return [`FLAGS ${flagList(flags)}`];
        // formatDateTime() returns the quoted date-time.
        case 'INTERNALDATE': return [`INTERNALDATE ${formatDateTime(m.internalDate)}`];
        case 'RFC822.SIZE': return [`RFC822.SIZE ${content ? content.raw.length : m.size}`];
        case 'MODSEQ': return [`MODSEQ (${m.modseq})`];
        case 'ENVELOPE': return [`ENVELOPE ${envelope(content!.raw, content!.root, utf8)}`];
        case 'BODYSTRUCTURE': return [`BODYSTRUCTURE ${bodyStructure(content!.raw, content!.root, { utf8Allowed: utf8 })}`];
        case 'BODY': return [`BODY ${bodyBasic(content!.raw, content!.root, { utf8Allowed: utf8 })}`];
        case 'RFC822': return ['RFC822 ', ...literal(content!.raw)];
        case 'RFC822.HEADER': return ['RFC822.HEADER ', ...literal(content!.raw.subarray(0, content!.root.bodyStart))];
        case 'RFC822.TEXT': return ['RFC822.TEXT ', ...literal(content!.raw.subarray(content!.root.bodyStart))];
      }
      break;
    case 'body': {
      let data: Buffer;
      // The whole message is the bytes as they are: no scan of its MIME structure for that.
      if (isWholeMessage(item.section)) data = content!.raw;
      else {
        const result = sectionRange(content!.root, content!.raw, item.section);
        data = result.found ? sectionBytes(content!.raw, result) : Buffer.alloc(0);
      }
      if (item.partial) {
        const w = partialWindow(data.length, item.partial.offset, item.partial.length);
        data = data.subarray(w.start, w.end);
      }
      return [`${fetchItemLabel(item)} `, ...literal(data)];
    }
    case 'binary':
    case 'binary-size': {
      let data = binaryContent(content!, item.part);
      if (item.kind === 'binary-size') return [`BINARY.SIZE[${item.part.join('.')}] ${data.length}`];
      if (item.partial) {
        const w = partialWindow(data.length, item.partial.offset, item.partial.length);
        data = data.subarray(w.start, w.end);
      }
      // literal8 (~{n}) only when the bytes hold a NUL, which a plain literal may not (RFC 3516 §4.3).
      const prefix = data.includes(0) ? '~' : '';
      return [`${fetchItemLabel(item)} ${prefix}`, ...literal(data)];
    }
  }
  return [];
}

async function run(session: SessionContext, command: CommandOf<'FETCH'>): Promise<void> {
  const { folder, view, readOnly } = session.selection!;
  const { args } = command;
  // The sequence numbers the set names in the view, as ranges: 1:* is one pair, not a list.
  const seqs = session.messageSeqRanges(args.set, command.uid);
  const items: FetchItem[] = [...args.items];
  const has = (name: string) => items.some((i) => i.kind === 'attribute' && i.name === name);
  // UID FETCH always reports UIDs (RFC 3501 §6.4.8); CONDSTORE clients get MODSEQ (RFC 7162 §3.1.4.1).
  // The UID goes first wherever it was asked for, as Exchange sends it: some clients (older
  // Outlook among them) read it from the front of each response.
  const uidAt = items.findIndex((i) => i.kind === 'attribute' && i.name === 'UID');
  if (uidAt > 0) items.unshift(...items.splice(uidAt, 1));
  else if (uidAt < 0 && command.uid) items.unshift({ kind: 'attribute', name: 'UID' });
  if (args.changedSince !== null || has('MODSEQ')) session.enableCondstore();
  const condstore = session.enabled.has('CONDSTORE');
  if (condstore && !has('MODSEQ') && (args.changedSince !== null || items.some((i) => i.kind === 'attribute' && i.name === 'FLAGS'))) {
    items.push({ kind: 'attribute', name: 'MODSEQ' });
  }
  const converted = session.retrievalFormat !== 'BestBodyFormat';
  const wantsContent = items.some((item) => needsContent(item, converted));
  // Large messages are streamed when every item that needs the bytes takes them whole, as
  // stored (a converted message is made whole first; sections need the MIME structure).
  const streamable = !converted && items.every((item) => !needsContent(item, converted) || isWholeMessageItem(item));
  const marksSeen = !readOnly && items.some(setsSeen);
  // UID FETCH … (CHANGEDSINCE m VANISHED): the removed UIDs of the set first (RFC 7162 §3.2.6).
  if (args.vanished && command.uid && args.changedSince !== null && session.enabled.has('QRESYNC') && args.set !== '$') {
    const asked = resolveSequenceSet(args.set, Number.MAX_SAFE_INTEGER);
    const gone = (await session.store.changesSince(folder.id, args.changedSince)).expunged.filter((uid) => rangesContain(asked, uid));
    if (gone.length > 0) session.send(vanished(gone, true));
  }
  if (seqs.length === 0) return session.complete(command, 'FETCH completed.', null, true);

  /** One message's response: a string when it is text alone, else its pieces in order. */
  const respond = async (m: MessageSummary, seq: number): Promise<string | Piece[]> => {
    const uid = m.uid;
    let flags = m.flags;
    let flagsChanged = false;
    if (marksSeen && !flags.includes('\\Seen')) {
      const r = await session.store.storeFlags(folder.id, [uid], 'add', ['\\Seen']);
      const changed = r.changed[0];
      if (changed) {
        m = { ...m, flags: changed.flags, modseq: changed.modseq };
        flags = changed.flags;
        view.noteFlags(uid, changed.modseq);
        view.noteOwnWrite(changed.modseq);
        flagsChanged = true;
      }
    }
    const stream = streamable && m.size >= STREAM_FROM;
    const content = wantsContent && !stream ? await load(session, m) : null;
    const shown = session.shownFlags(uid, flags);
    const parts: Piece[] = [];
    const list = flagsChanged && !has('FLAGS') ? [...items, { kind: 'attribute', name: 'FLAGS' } as FetchItem] : items;
    for (const item of list) {
      if (parts.length > 0) parts.push(' ');
      parts.push(...(stream && isWholeMessageItem(item) ? streamed(item, m) : render(session, item, m, shown, content)));
    }
    // Text alone (UID, FLAGS, MODSEQ…) stays a string until the batch is written.
    if (parts.every((p) => typeof p === 'string')) return `* ${seq} FETCH (${parts.join('')})\r\n`;
    return [`* ${seq} FETCH (`, ...parts, ')\r\n'];
  };

  // Responses go out in batches (one write each, at most BATCH_BYTES unless one message is
  // larger), and the next batch waits until the client has read the last: FETCH 1:* of a huge
  // folder holds one slice of rows and one batch of bytes, never the whole folder.
  let pending: (Buffer | string)[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    // Lines of text go as one string; responses with literals as their pieces, uncopied.
    session.write(pending.every((p) => typeof p === 'string') ? pending.join('') : pending);
    pending = [];
    pendingBytes = 0;
    await session.drain();
  };
  /**
   * A stored message's bytes, a piece at a time, each after the client has read the last. The
   * literal's length is already sent: if the bytes cannot all be read, the client could not
   * read on, so the connection ends.
   */
  const writeStored = async (slice: StoredSlice) => {
    try {
      // Each piece is read into the memory of the last once the socket has written it: ten
      // clients streaming a large message then make no garbage for the collector to catch up with.
      for await (const chunk of session.store.blobChunks(slice.blobId, slice, () => session.flushed)) {
        if (!session.connected) return;
        session.write(chunk);
        await session.drain();
      }
    } catch (err) {
      session.close('* BYE A stored message could not be read to the end.');
      throw err;
    }
  };
  const emit = async (m: MessageSummary, seq: number) => {
    // A client that left in the middle of a long FETCH: read no more for it.
    if (!session.connected) throw no('The client has gone.');
    const response = await respond(m, seq);
    if (typeof response === 'string') {
      pending.push(response);
      pendingBytes += response.length;
    } else {
      for (const piece of response) {
        if (piece instanceof StoredSlice) {
          await flush();
          await writeStored(piece);
          continue;
        }
        pending.push(piece);
        pendingBytes += piece.length;
      }
    }
    if (pendingBytes >= BATCH_BYTES || wantsContent) await flush();
  };

  // UID, FLAGS and MODSEQ alone (what a client sends to resync) need only those three columns,
  // and their response is built here in one pass, as bytes: the flag list's bytes once per
  // distinct list (rows with the same flags share one list), \Recent added for the messages
  // that hold it.
  const light = !marksSeen && items.every((i) => i.kind === 'attribute' && (i.name === 'UID' || i.name === 'FLAGS' || i.name === 'MODSEQ'));
  const names = items.map((i) => (i.kind === 'attribute' ? i.name : ''));
  const lines = new ByteLines(BATCH_BYTES + 4096);
  // The fixed text of a line as bytes: before each value (" FETCH (UID ", ") FLAGS " …) and after the last.
  const labels = names.map((n) => (n === 'UID' ? 'UID ' : n === 'FLAGS' ? 'FLAGS ' : 'MODSEQ ('));
  const closers = names.map((n) => (n === 'MODSEQ' ? ')' : ''));
  const joints = labels.map((label, i) => Buffer.from(i === 0 ? ` FETCH (${label}` : `${closers[i - 1]} ${label}`));
  const lineEnd = Buffer.from(`${closers.at(-1) ?? ''})\r\n`);
  // Per distinct list (by its number in the store's columns): its bytes as shown, and with
  // \Recent (a fresh folder's messages all hold it). Made anew if the store's lists change.
  let lists: FlagColumns['lists'] | null = null;
  let flagBytes: Buffer[] = [];
  let recentFlagBytes: Buffer[] = [];
  const showsRecent = !session.rev2;
  // The \Recent UIDs in ascending order, walked beside the lines: the lines ascend within each
  // range of the set, so the next UID is at most a few steps on. A jump, forward or back (FETCH
  // 9,3 or 1,9000,2), is found by binary search, so no order of the set costs a walk per line.
  let recentList: Uint32Array = new Uint32Array(0);
  let recentAt = 0;
  const isRecent = (uid: number): boolean => {
    const length = recentList.length;
    const near = recentAt < length && (recentAt === 0 || recentList[recentAt - 1]! < uid)
      && (recentAt + 8 >= length || recentList[recentAt + 8]! >= uid);
    if (near) {
      while (recentList[recentAt]! < uid) recentAt++;
    } else {
      recentAt = lowerBound(recentList, length, uid);
    }
    return recentAt < length && recentList[recentAt] === uid;
  };
  const lightLine = (lines: ByteLines, columns: FlagColumns, i: number, seq: number): void => {
    const uid = columns.uids[i]!;
    const recent = isRecent(uid);
    const known = recent ? recentFlagBytes : flagBytes;
    const listId = columns.listIds[i]!;
    let flags = known[listId];
    if (flags === undefined) {
      flags = known[listId] = Buffer.from(flagList(session.shownFlags(recent ? uid : 0, columns.lists[listId]!)));
    }
    lines.bytes(STAR).number(seq);
    for (let n = 0; n < names.length; n++) {
      lines.bytes(joints[n]!);
      const name = names[n];
      if (name === 'UID') lines.number(uid);
      else if (name === 'FLAGS') lines.bytes(flags);
      else lines.number(columns.modseqs[i]!);
    }
    lines.bytes(lineEnd);
  };
  /**
   * The lines of a whole run of the folder (flag-lines.ts) when this session's view holds
   * exactly the store's messages there, \Recent to it on none or all: kept ones when the messages'
   * UIDs and MODSEQs are those they were made for, else made now and kept for the next FETCH.
   */
  const itemsKey = names.join(' ');
  const keptRun = (columns: FlagColumns, from: number, to: number): FlagLinesRun | null => {
    const whole = (from - 1) % RUN === 0 && (to - from + 1 === RUN || to === view.exists);
    if (!whole || columns.length !== to - from + 1) return null;
    const uids = columns.uids.subarray(0, columns.length);
    if (!view.holdsRun(from, uids)) return null;
    // \Recent is this session's own: a run is kept with it on none of its messages, or on all
    // of them (the first session to open a folder filled by a migration or a burst of mail).
    let recentRun = false;
    if (recentList.length > 0) {
      const at = lowerBound(recentList, recentList.length, uids[0]!);
      if (at < recentList.length && recentList[at]! <= uids[uids.length - 1]!) {
        const held = recentList.subarray(at, at + uids.length);
        if (!sameElements(held, uids)) return null;
        recentRun = true;
      }
    }
    const modseqs = columns.modseqs.subarray(0, columns.length);
    const key = { store: session.store, folderId: folder.id, uidValidity: folder.uidValidity, items: recentRun ? `${itemsKey} \\Recent` : itemsKey, firstSeq: from };
    const kept = flagLines.get(key, uids, modseqs);
    if (kept) {
      // The keywords its lines show, announced first if new to the client (RFC 3501 §7.2.6).
      for (const list of kept.lists) session.admitFlags(list);
      return kept;
    }
    // A line is about 45 bytes ("* 81234 FETCH (UID 98765 FLAGS (\Seen))"): room for most runs at once.
    const out = new ByteLines(columns.length * 48);
    const used = new Uint8Array(columns.lists.length);
    for (let i = 0; i < columns.length; i++) {
      lightLine(out, columns, i, from + i);
      used[columns.listIds[i]!] = 1;
    }
    let bytes = out.take();
    // Kept for long: not in a buffer much larger than its lines.
    if (bytes.buffer.byteLength > bytes.length * 1.25) bytes = Buffer.from(bytes);
    const lists = columns.lists.filter((_, id) => used[id] === 1);
    const made = { uids: uids.slice(), modseqs: modseqs.slice(), lists, bytes };
    flagLines.put(key, made);
    return made;
  };
  if (args.changedSince !== null) {
    // CHANGEDSINCE: the store's change log (an index on MODSEQ) names the messages, instead of
    // reading every row of the set to compare MODSEQs.
    const changed = (await session.store.changesSince(folder.id, args.changedSince)).changed;
    for (const m of changed) {
      const seq = view.seqOf(m.uid);
      if (seq > 0 && rangesContain(seqs, seq)) await emit(m, seq);
    }
  } else {
    // Rows are read in slices of the view's UIDs, in UID order, so sequence numbers follow.
    for (const [first, last] of seqs) {
      const slice = light ? LIGHT_SLICE : SLICE;
      for (let from = first; from <= last; from += slice) {
        const to = Math.min(last, from + slice - 1);
        const range = { fromUid: view.uidAt(from)!, toUid: view.uidAt(to)! };
        if (light) {
          let seq = from;
          const columns = await session.store.flagColumns(folder.id, range);
          if (columns.lists !== lists) {
            lists = columns.lists;
            flagBytes = [];
            recentFlagBytes = [];
          }
          const sorted = showsRecent ? session.recentUids.sorted() : recentList;
          if (sorted !== recentList) {
            recentList = sorted;
            recentAt = 0;
          }
          const run = keptRun(columns, from, to);
          if (run) {
            if (lines.length > 0) pending.push(lines.take());
            pending.push(run.bytes);
            await flush();
            continue;
          }
          for (let i = 0; i < columns.length; i++) {
            const uid = columns.uids[i]!;
            while (seq <= to && view.uidAt(seq)! < uid) seq++;
            if (seq > to) break;
            if (view.uidAt(seq) !== uid) continue;
            lightLine(lines, columns, i, seq);
            // Handed on at BATCH_BYTES: the buffer has room for one more line of any usual
            // length, and growing it would copy what it holds.
            if (lines.length >= BATCH_BYTES) pending.push(lines.take());
          }
          if (pending.length > 0) await flush();
          continue;
        }
        const rows = await session.store.messages(folder.id, range);
        let seq = from;
        for (const m of rows) {
          // A row the view does not hold (expunged since the view synced) is passed over.
          while (seq <= to && view.uidAt(seq)! < m.uid) seq++;
          if (seq > to) break;
          if (view.uidAt(seq) === m.uid) await emit(m, seq);
        }
      }
    }
  }
  if (lines.length > 0) pending.push(lines.take());
  await flush();
  await session.complete(command, 'FETCH completed.', null, true);
}

/**
 * The message as this session serves it: the stored bytes, or converted to the session's
 * MessageRetrievalMimeFormat, so that BODYSTRUCTURE, BODY[…], RFC822 and RFC822.SIZE all
 * describe the same bytes.
 */
async function load(session: SessionContext, m: MessageSummary): Promise<Loaded> {
  const store = session.store;
  const raw = await renditions.render(m.blobId, session.retrievalFormat, () => store.readBlob(m.blobId));
  return new Loaded(raw);
}

export const fetchCommand = defineCommand({
  name: 'FETCH',
  states: ['selected'],
  usesSequenceNumbers: true,
  run,
});
