// The mbox imaptest's stress mode APPENDs from (test/imap/imaptest.test.ts and
// bench/imap/imaptest-stress.ts): a few hundred varied messages, the MIME fixtures (multipart,
// Big5/GB18030, encoded words, attachments, malformed structure) several times over. Those with
// NUL bytes are left out: imaptest measures a line only up to its first NUL, so it announces a
// literal shorter than what it sends (the server's answer to that is a transcript test of its
// own, test/imap/backend/mailbox-state.test.ts).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const FIXTURES = resolve(import.meta.dirname, '..', 'mime', 'fixtures');

export function writeStressMbox(path: string): void {
  const parts: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.eml')).sort()) {
      const text = readFileSync(join(FIXTURES, name), 'latin1').replace(/\r\n/g, '\n');
      if (text.includes('\0')) continue;
      // mboxrd: a line that reads "From " (after any ">") gets one more ">".
      const body = text.split('\n').map((l) => (/^>*From /.test(l) ? `>${l}` : l)).join('\n');
      parts.push(`From sender@example.com Sat Jan  3 01:05:34 2026\n${body.replace(/\n+$/, '')}\n\n`);
    }
  }
  writeFileSync(path, parts.join(''), 'latin1');
}
