// PURE: what an mbox export writes around and into each message. The escaping is mboxrd (a line
// that starts with any number of '>' followed by "From " gets one more '>'), which a reader
// undoes exactly, unlike mboxo. The flags go into the Status:, X-Status: and X-Keywords: fields
// that Dovecot, mutt and Thunderbird read and that an mbox reader strips again on import.

/** asctime() form of a date in UTC, as the From_ line carries it: `Thu Nov  5 08:00:00 2026`. */
export function asctime(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/**
 * The separator line before a message. The envelope sender is not kept by the store, so it is
 * MAILER-DAEMON, as Dovecot writes for a message saved over IMAP; the date is the INTERNALDATE.
 */
export function fromLine(internalDate: Date): string {
  return `From MAILER-DAEMON ${asctime(internalDate)}\n`;
}

/** The mbox flag fields for a message's IMAP flags (system flags and keywords). */
export function flagFields(flags: readonly string[]): { status: string; xStatus: string; keywords: string[] } {
  const has = (f: string) => flags.some((x) => x.toLowerCase() === f.toLowerCase());
  // 'O' (old) for every exported message: none is \Recent after a move to another server.
  const status = `${has('\\Seen') ? 'R' : ''}O`;
  const xStatus = `${has('\\Answered') ? 'A' : ''}${has('\\Flagged') ? 'F' : ''}${has('\\Draft') ? 'T' : ''}${has('\\Deleted') ? 'D' : ''}`;
  const keywords = flags.filter((f) => !f.startsWith('\\'));
  return { status, xStatus, keywords };
}

/**
 * Where the flag fields go: the offset of the empty line that ends the header (so they are the
 * last fields), and the line break the header uses. A message without an empty line is all
 * header, and the fields go at its end.
 */
export function headerEnd(head: Buffer): { offset: number; eol: string } | null {
  let lineStart = 0;
  for (;;) {
    const lf = head.indexOf(0x0a, lineStart);
    if (lf < 0) return null;
    const lineLength = lf - lineStart - (lf > lineStart && head[lf - 1] === 0x0d ? 1 : 0);
    if (lineLength === 0) return { offset: lineStart, eol: lf > lineStart ? '\r\n' : '\n' };
    lineStart = lf + 1;
  }
}

/** The flag fields as header lines, with the message's line break. */
export function flagHeaderLines(flags: readonly string[], eol: string): string {
  const { status, xStatus, keywords } = flagFields(flags);
  let out = `Status: ${status}${eol}`;
  if (xStatus) out += `X-Status: ${xStatus}${eol}`;
  if (keywords.length > 0) out += `X-Keywords: ${keywords.join(' ')}${eol}`;
  return out;
}

const FROM = Buffer.from('From ');

/**
 * mboxrd quoting as a stream: fed the message in chunks of any size, it gives the same bytes as
 * quoting the whole message at once. It holds back only the start of a line that could still
 * become `>*From ` (the '>'s and up to four letters), so memory stays bounded.
 */
export class MboxrdEscaper {
  /** Bytes of the current line held back while it may still be a From line. */
  private held: number[] = [];
  /** 'start': at a line start or still matching `>*From `; 'rest': past that point of the line. */
  private state: 'start' | 'rest' = 'start';
  private matched = 0;

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    // Bytes of this chunk from here on are plain text not yet given out (nor held).
    let plainFrom = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (this.state === 'rest') {
        const lf = chunk.indexOf(0x0a, i);
        if (lf < 0) break;
        i = lf;
        this.state = 'start';
        continue;
      }
      const c = chunk[i]!;
      const quote = this.matched === 0 && c === 0x3e; // '>' before the "From "
      const letter = !quote && c === FROM[this.matched];
      if (quote || letter) {
        if (this.held.length === 0) out.push(chunk.subarray(plainFrom, i));
        this.held.push(c);
        plainFrom = i + 1;
        if (letter && ++this.matched === FROM.length) {
          out.push(Buffer.from([0x3e, ...this.held]));
          this.reset('rest');
        }
        continue;
      }
      // Not a From line: give back what was held; this byte is plain text.
      if (this.held.length > 0) {
        out.push(Buffer.from(this.held));
        plainFrom = i;
      }
      this.reset(c === 0x0a ? 'start' : 'rest');
    }
    out.push(chunk.subarray(plainFrom));
    return Buffer.concat(out);
  }

  /** What is still held at the end of the message (a last line that began like `>>Fro`). */
  end(): Buffer {
    const rest = Buffer.from(this.held);
    this.reset('start');
    return rest;
  }

  private reset(state: 'start' | 'rest'): void {
    this.held = [];
    this.matched = 0;
    this.state = state;
  }
}

/** mboxrd quoting of a whole buffer (tests, small messages). */
export function escapeMboxrd(message: Buffer): Buffer {
  const e = new MboxrdEscaper();
  return Buffer.concat([e.push(message), e.end()]);
}
