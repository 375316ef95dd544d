// The self-checking messages of the crash test. Each one carries its run and sequence number,
// filler of varying length, and as its last line the SHA-256 of every byte before that line, so
// a message that was only partly written can be told from a whole one by looking at it alone.
import { createHash, randomBytes } from 'node:crypto';

export const CRASH_MAILBOX = 'crash-test@contoso.com';

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every tenth message is a few hundred KB, so bodies kept as files are exercised as well as small ones. */
export function crashMessage(run: string, seq: number): Buffer {
  const fillerBytes = seq % 10 === 0 ? 150_000 + Math.floor(Math.random() * 150_000) : 64 + Math.floor(Math.random() * 16_384);
  const filler = randomBytes(fillerBytes).toString('base64').replace(/.{76}/g, '$&\r\n');
  const content = Buffer.from(
    `From: crash-child@contoso.com\r\nTo: ${CRASH_MAILBOX}\r\nSubject: crash ${run} #${seq}\r\n\r\nRun: ${run}\r\nSeq: ${seq}\r\n${filler}\r\n`,
    'latin1',
  );
  return Buffer.concat([content, Buffer.from(`Sha256: ${sha256Hex(content)}\r\n`, 'latin1')]);
}

/** Whether a stored message is whole: its last line is the hash of everything before it. */
export function isWholeCrashMessage(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  const m = /Sha256: ([0-9a-f]{64})\r\n$/.exec(text);
  if (!m) return false;
  return sha256Hex(raw.subarray(0, m.index)) === m[1];
}
