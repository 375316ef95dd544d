// The mail of the large-mailbox benchmarks (bench/imap/large.ts, bench/store/disk.ts): one user's
// INBOX of varied mail, generated from a seed so that every run and both servers get the same bytes.
import type { ImapUser } from './corpus.ts';
import { prng } from '../../test/support/random.ts';

export const LARGE_USER = 'big';
export const LARGE_PASSWORD = 'Large-Bench-2026';
const USER = LARGE_USER;

// ── The corpus ─────────────────────────────────────────────────────────────────────────────
// Subjects with and without Re:/Fwd:/[list] prefixes (what SORT SUBJECT and THREAD normalize),
// senders with and without display names, Date fields that do not follow arrival, sizes from
// half a kilobyte to about 40 KB, replies that point at earlier messages.

const TOPICS = ['Quarterly budget', 'Team offsite', 'Invoice 4471', 'Server migration', 'Contract renewal', 'Weekly status',
  'Holiday schedule', 'Design review', 'Customer escalation', 'Hiring plan', 'Office move', 'Release notes', 'Travel request',
  'Security audit', 'Board meeting', 'Expense report', 'Project kickoff', 'Vendor selection', 'Training day', 'Sales forecast'];
const PREFIXES = ['', '', '', 'Re: ', 'RE: ', 'Fwd: ', 'Re: Re: ', '[team] ', 'Fw: ', 'Re: [team] '];
const NAMES = ['Anna Lindqvist', 'Bob Smith', 'Chen Wei', 'Dana Scully', 'Émile Zola', 'Farah Khan', 'George Miller', 'Hana Sato',
  'Ivan Petrov', 'Julia Roberts', 'Karl Weber', 'Lena Novak', 'Miguel Torres', 'Nora Jensen', 'Omar Haddad', 'Priya Patel'];
const DOMAINS = ['fabrikam.com', 'contoso.com', 'example.org', 'northwind.net', 'tailspin.io'];
const WORDS = ('the of and to in is that for it as was with be by on not this are or from at which but have an they you were ' +
  'meeting budget report quarter review schedule project team client invoice contract draft agenda minutes proposal deadline ' +
  'update status office travel expense approval manager service delivery order shipment account payment balance forecast').split(' ');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function body(random: () => number, bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    const words: string[] = [];
    let n = 0;
    while (n < 68) {
      const w = WORDS[Math.floor(random() * WORDS.length)]!;
      words.push(w);
      n += w.length + 1;
    }
    lines.push(words.join(' '));
    length += n + 2;
  }
  return lines.join('\r\n');
}

export function largeCorpus(count: number): ImapUser {
  const random = prng(15_000 + count);
  const messages: Buffer[] = [];
  const seen: boolean[] = [];
  const flagged: boolean[] = [];
  for (let i = 1; i <= count; i++) {
    const name = NAMES[Math.floor(random() * NAMES.length)]!;
    const local = name.toLowerCase().replace(/[^a-z]+/g, '.');
    const address = `${local}@${DOMAINS[Math.floor(random() * DOMAINS.length)]}`;
    const from = random() < 0.3 ? `<${address}>` : random() < 0.5 ? `"${name}" <${address}>` : `${name.replace('É', 'E')} <${address}>`;
    const topic = TOPICS[Math.floor(random() * TOPICS.length)]!;
    const subject = `${PREFIXES[Math.floor(random() * PREFIXES.length)]}${topic} ${Math.floor(random() * 400)}`;
    // Date fields within two years, not in arrival order; a few without one.
    const sent = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 730 * 86_400_000));
    const date = `${String(sent.getUTCDate()).padStart(2, '0')} ${MONTHS[sent.getUTCMonth()]} ${sent.getUTCFullYear()} ${String(sent.getUTCHours()).padStart(2, '0')}:${String(sent.getUTCMinutes()).padStart(2, '0')}:00 +0000`;
    const header = [
      `From: ${from}`, `To: ${USER}@contoso.com`, `Subject: ${subject}`, `Message-ID: <m${i}@large.bench>`,
      ...(random() < 0.97 ? [`Date: ${date}`] : []),
      ...(i > 10 && random() < 0.4 ? [`In-Reply-To: <m${i - 1 - Math.floor(random() * 10)}@large.bench>`] : []),
      'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', '',
    ].join('\r\n');
    // Mostly small, a long tail: median about 2 KB, mean about 3 KB.
    const size = Math.floor(400 + 2000 * -Math.log(1 - random() * 0.9999) * 0.8);
    messages.push(Buffer.from(`${header}${body(random, Math.min(size, 40_000))}\r\n`));
    seen.push(random() < 0.7);
    flagged.push(random() < 0.05);
  }
  return { name: USER, password: LARGE_PASSWORD, messages, seen, flagged };
}

