// The mailbox the migration tests move between servers: Chinese folder names two levels deep,
// special-use folders, keywords, a multi-megabyte attachment, a body with "From " lines (mbox
// quoting), odd messages from the MIME fixtures (bare LF, Big5 headers, a boundary never found,
// deep nesting, a 50 kB header line), and INTERNALDATEs a year apart.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.ts';

export interface CorpusMessage {
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

export interface CorpusFolder {
  /** Levels; the Inbox is ['INBOX']. */
  path: string[];
  specialUse?: 'sent' | 'trash' | 'drafts' | 'junk' | 'archive';
  messages: CorpusMessage[];
}

const FIXTURES = ['bare-lf', 'big5-raw-headers', 'boundary-never-found', 'deep-nesting', 'long-header-line', 'calendar-invite', 'digest'];

function simple(i: number, subject: string, body: string): Buffer {
  return Buffer.from(
    `Message-ID: <corpus-${i}@dovecot.example>\r\nFrom: Alice <alice@dovecot.example>\r\nTo: Bob <bob@dovecot.example>\r\n` +
    `Subject: ${subject}\r\nDate: Mon, 2 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`,
  );
}

function attachment(megabytes: number): Buffer {
  const data = randomBytes(megabytes * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'Message-ID: <corpus-big@dovecot.example>\r\nFrom: alice@dovecot.example\r\nTo: bob@dovecot.example\r\nSubject: =?UTF-8?B?5aSn6ZmE5Lu2?=\r\n' +
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n' +
    `--b1\r\nContent-Type: application/octet-stream; name="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${data}\r\n--b1--\r\n`,
  );
}

export function migrationCorpus(options: { bigMegabytes?: number } = {}): CorpusFolder[] {
  let n = 0;
  const at = (days: number) => new Date(Date.UTC(2025, 10, 1, 9, 30, 15) + days * 86_400_000);
  const flagsCycle = [['\\Seen'], [], ['\\Seen', '\\Answered'], ['\\Flagged', 'Work'], ['\\Seen', '$Forwarded', 'Project_X'], ['\\Draft'], ['\\Seen', '\\Deleted']];
  const plain = (count: number, subject: string) => Array.from({ length: count }, () => {
    const i = n++;
    return { raw: simple(i, `${subject} ${i}`, `Line one of ${i}.\r\nFrom the start of a line: mbox must quote this.\r\n>From quoted already.\r\n中文內容 ${i}`), flags: flagsCycle[i % flagsCycle.length]!, internalDate: at(i * 13) };
  });
  const odd = FIXTURES.map((name, i) => ({
    raw: readFileSync(join(ROOT, 'test', 'mime', 'fixtures', `${name}.eml`)),
    flags: i % 2 ? ['\\Seen'] : ['$Label1'],
    internalDate: at(200 + i),
  }));
  return [
    { path: ['INBOX'], messages: [...plain(6, 'Inbox'), ...odd, { raw: attachment(options.bigMegabytes ?? 3), flags: ['\\Seen', 'Work'], internalDate: at(365) }] },
    { path: ['Sent'], specialUse: 'sent', messages: plain(3, 'Sent') },
    { path: ['Drafts'], specialUse: 'drafts', messages: plain(1, 'Draft') },
    { path: ['Trash'], specialUse: 'trash', messages: [] },
    { path: ['Archive'], specialUse: 'archive', messages: plain(2, 'Archived') },
    { path: ['寄件備份'], messages: plain(2, '寄件') },
    { path: ['工作'], messages: plain(2, '工作') },
    { path: ['工作', '報告'], messages: plain(3, '報告') },
    { path: ['INBOX', 'Receipts'], messages: plain(1, 'Receipt') },
  ];
}
