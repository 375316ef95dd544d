// The mail both servers hold for the IMAP benchmark. Unlike the POP3 corpus (random base64,
// which only has to be moved), these messages are made of words, so that SEARCH BODY asks both
// servers the same question: a whole word that occurs in a known share of the messages. Every
// message carries one "topic" word (message n the topic n mod 20) and no other topic word, and
// comes from one of 17 senders; every third message is \Seen. Generated from a seed, so every
// run and both servers get the same bytes.
import type { BenchUser } from '../pop3/corpus.ts';
import { prng } from '../../test/support/random.ts';

export interface ImapUser extends BenchUser {
  /** Whether each message starts out \Seen (same index as messages). */
  seen: boolean[];
  /** Whether each message starts out \Flagged (none when absent). */
  flagged?: boolean[];
  /**
   * Folders besides INBOX, created on both servers (none when absent): '/' between levels, each
   * parent listed before its children, no '.' (Dovecot's Maildir++ joins levels with it on disk).
   */
  folders?: string[];
  /** The folder of each message (same index as messages): 0 for INBOX, k for folders[k - 1]; INBOX when absent. */
  folderOf?: Uint16Array;
}

/** The words SEARCH BODY looks for; each is in 1 message out of 20. */
export const TOPICS = [
  'lantern', 'harbor', 'quartz', 'meadow', 'falcon', 'cobalt', 'orchard', 'glacier', 'saffron', 'tundra',
  'walnut', 'beacon', 'canyon', 'ember', 'juniper', 'marble', 'nectar', 'pepper', 'raven', 'willow',
];

/** The senders SEARCH FROM looks for; message n is from sender (n mod 17). */
export const SENDERS = 17;
export const senderAddress = (k: number) => `sender${k}@fabrikam.com`;

// Ordinary office words for the rest of the text. None of them contains a topic word, so a
// substring search (Dovecot without an FTS plugin) and a word index (Mailroom) find the same set.
const VOCABULARY = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an ' +
  'they you were her she there would their we him been has when who will more no if out so said what up ' +
  'its about into than them can only other new some could time these two may then do first any my now such ' +
  'like our over man me even most made after also did many before must through back years where much your way ' +
  'well down should because each just those people how too little state good very make world still own see men ' +
  'work long get here between both life being under never day same another know while last might us great old ' +
  'year off come since against go came right used take three meeting budget report quarter review schedule ' +
  'project team client invoice contract draft agenda minutes proposal deadline update status office travel ' +
  'expense approval manager service delivery order shipment account payment balance forecast target figures'
).split(' ');

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Lines of about 70 characters of words, CRLF-separated, about `bytes` long; the topic word in the middle. */
function text(seed: string, bytes: number, topic: string): string {
  const random = prng(seedOf(seed));
  const lines: string[] = [];
  let length = 0;
  let line: string[] = [];
  let lineLength = 0;
  let topicPlaced = false;
  while (length + lineLength < bytes || !topicPlaced) {
    const word = !topicPlaced && length + lineLength >= bytes / 2 ? ((topicPlaced = true), topic) : VOCABULARY[Math.floor(random() * VOCABULARY.length)]!;
    line.push(word);
    lineLength += word.length + 1;
    if (lineLength >= 70) {
      lines.push(line.join(' '));
      length += lineLength + 1;
      line = [];
      lineLength = 0;
    }
  }
  if (line.length > 0) lines.push(line.join(' '));
  return lines.join('\r\n');
}

export function message(user: string, n: number, bytes: number): Buffer {
  const header = [
    `From: ${senderAddress(n % SENDERS)}`, `To: ${user}@contoso.com`, `Subject: Benchmark message ${n} for ${user}`,
    `Message-ID: <${user}.${n}@bench.fabrikam.com>`, `Date: Fri, 20 Nov 2026 08:${String(n % 60).padStart(2, '0')}:00 +0000`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', '',
  ].join('\r\n');
  return Buffer.from(`${header}${text(`${user}/${n}`, Math.max(0, bytes - header.length), TOPICS[n % TOPICS.length]!)}\r\n`);
}

export function imapCorpus(options: { prefix: string; users: number; messages: number; bytes: number; password: (u: number) => string }): ImapUser[] {
  return Array.from({ length: options.users }, (_, u) => {
    const name = `${options.prefix}${u + 1}`;
    const messages = Array.from({ length: options.messages }, (_, i) => message(name, i + 1, options.bytes));
    const seen = messages.map((_, i) => (i + 1) % 3 === 0);
    return { name, password: options.password(u), messages, seen };
  });
}

export { prng };
