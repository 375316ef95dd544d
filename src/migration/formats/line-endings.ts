// Line-ending normalisation shared by the maildir and mbox readers: both formats keep messages
// with bare LF on disk, while IMAP (RFC 3501 §2.2) and the store expect CRLF.

/**
 * Rewrites every bare LF as CRLF (what Dovecot sends over IMAP for a maildir or mbox message saved
 * with LF). Returns `raw` itself when it has no bare LF, so already-CRLF messages are not copied.
 */
export function toCrlf(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) if (i === 0 || raw[i - 1] !== 0x0d) bare++;
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  let start = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    if (i > 0 && raw[i - 1] === 0x0d) continue;
    o += raw.copy(out, o, start, i);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    start = i + 1;
  }
  o += raw.copy(out, o, start);
  return out;
}
