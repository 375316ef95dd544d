// The mail of the large-mailbox benchmarks (bench/imap/large.ts, bench/store/disk.ts): one user's
// varied mail, in INBOX or spread over folders, generated from a seed so that every run and both
// servers get the same bytes in the same folders.
import type { ImapUser } from './corpus.ts';
import { DEFAULT_ROLES, defaultFolderNames } from '../../src/store/folder-names.ts';
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

/** `count` messages, all in INBOX, or spread over `folders` folders (INBOX and largeFolders(folders)). */
export function largeCorpus(count: number, folders = 1): ImapUser {
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
  const user = { name: USER, password: LARGE_PASSWORD, messages, seen, flagged };
  return folders > 1 ? { ...user, folders: largeFolders(folders), folderOf: spreadOverFolders(count, folders) } : user;
}

// ── The folders ────────────────────────────────────────────────────────────────────────────
// A mailbox kept for years: the folders every Mailroom mailbox has (so that both servers list the
// same folders), projects and clients with subfolders, a few named in Chinese (as a mailbox moved
// from a zh-TW Outlook has them) and one with '&' (both need modified UTF-7), then an archive by
// year and month, going back as far as the count asks.

const MAILROOM_FOLDERS = DEFAULT_ROLES.map((role) => defaultFolderNames('en')[role]);
const NAMED_FOLDERS = ['Projects', 'Projects/Apollo', 'Projects/Apollo/Design reviews', 'Projects/Borealis', 'Projects/Cascade',
  'Clients', 'Clients/Contoso', 'Clients/Fabrikam', 'Clients/Northwind Traders', '寄件備份', '客戶', '客戶/台北', '客戶/上海', '報價單',
  'Finance', 'Finance/Invoices', 'Finance/Expenses', 'R&D', 'HR', 'Receipts', 'Travel', 'Newsletters', 'Mailing lists', 'Mailing lists/ietf-imap'];

/** The fewest folders (INBOX included) that hold every folder Mailroom gives a mailbox. */
export const MIN_FOLDERS = 1 + MAILROOM_FOLDERS.length;

/** The folders besides INBOX of a mailbox of `count` folders, each parent before its children. */
export function largeFolders(count: number): string[] {
  const names = [...MAILROOM_FOLDERS, ...NAMED_FOLDERS];
  for (let year = 2025; names.length < count - 1; year--) {
    names.push(`Archive/${year}`, ...MONTHS.map((_, m) => `Archive/${year}/${String(m + 1).padStart(2, '0')}`));
  }
  return names.slice(0, count - 1);
}

/**
 * The folder of each message, 0 for INBOX: the folder of rank r gets a share of the mail in
 * proportion to r^-0.8 (INBOX, rank 1, gets about 10% at 200 folders, 21% at 20), the other
 * folders' ranks shuffled from the seed. A generator of its own, so the messages are the same
 * bytes whatever the folder count.
 */
function spreadOverFolders(count: number, folders: number): Uint16Array {
  const random = prng(16_000 + folders);
  const ranks = Array.from({ length: folders }, (_, k) => k + 1);
  for (let k = folders - 1; k > 1; k--) {
    const j = 1 + Math.floor(random() * k);
    [ranks[k], ranks[j]] = [ranks[j]!, ranks[k]!];
  }
  const cumulative: number[] = [];
  let total = 0;
  for (const rank of ranks) cumulative.push((total += rank ** -0.8));
  const folderOf = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const x = random() * total;
    let lo = 0;
    for (let hi = folders - 1; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    folderOf[i] = lo;
  }
  return folderOf;
}

