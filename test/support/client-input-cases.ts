// The functions that read client input and whose worst case hides behind structure a run of
// characters cannot reach (a tag name, a wildcard pattern, a PEM marker), each with inputs
// built for it, about 100 KB: client-input-cpu.test.ts runs them under a CPU budget. Those that
// used a pattern with a super-linear worst case say so; they took seconds to hours here.
import { createRequire } from 'node:module';
import { parseSize } from '../../src/cli/values.ts';
import { deriveAlias, isEmailAddress } from '../../src/directory/directory.ts';
import { looksLikeDomain } from '../../src/host/setup.ts';
import { wildcardMatcher } from '../../src/imap/commands/list.ts';
import { extractBaseSubject } from '../../src/mime/base-subject.ts';
import { headerFacts } from '../../src/mime/sort-keys.ts';
import { pemBlocks } from '../../src/lib/certificates.ts';
import { parseAddressList, parseStructured } from '../../src/mime/index.ts';
import { removeForgedResults } from '../../src/smtp/inbound-auth.ts';
import { cjkBigrams } from '../../src/store/cjk.ts';
import { summarizeHeaders } from '../../src/store/header-summary.ts';
import { parseAutodiscoverRequest } from '../../src/client-setup/autodiscover.ts';

export interface ClientInputCase {
  name: string;
  /** Files whose `new RegExp(…)` expressions this case runs (they cannot be run on their own). */
  covers?: string[];
  inputs(): Iterable<{ label: string; text: string }>;
  run(text: string): unknown;
}

const N = 100_000;

/** Labelled inputs: each given as [label, text]. */
const inputs = (...list: [string, string][]) => () => list.map(([label, text]) => ({ label, text }));

const swallow = (run: () => unknown) => {
  try {
    run();
  } catch {
    // refusing the input is an answer too; only the time it took matters here
  }
};

// mailauth loads nodemailer's address parser for the From field of every inbound message.
const mailauthRequire = createRequire(createRequire(import.meta.url).resolve('mailauth'));
const mailauthAddressParser = mailauthRequire('nodemailer/lib/addressparser') as (text: string) => unknown;

export const CLIENT_INPUT_CASES: ClientInputCase[] = [
  {
    // Was cubic: <EMailAddress> and 2,000 spaces took 2.5 s.
    name: 'Autodiscover request',
    inputs: inputs(
      ['<EMailAddress> + spaces', `<EMailAddress>${' '.repeat(N)}`],
      ['<EMailAddress> + spaces + </EMailAddress', `<EMailAddress>${' '.repeat(N)}</EMailAddress`],
      ['unclosed start tags, one > at the end', `${'<EMailAddress '.repeat(N / 14)}>`],
      ['start tags without text', '<EMailAddress><'.repeat(N / 15)],
      ['prefixes', '<a:'.repeat(N / 3)],
      ['< + word', `<${'a'.repeat(N)}`],
    ),
    run: (text) => parseAutodiscoverRequest(text),
  },
  {
    name: 'SORT/THREAD base subject',
    inputs: inputs(
      ['spaces + (fwd)', `x${' '.repeat(N)}(fwd)`],
      ['(fwd) repeated', '(fwd)'.repeat(N / 5)],
      ['Re: repeated', 'Re: '.repeat(N / 4)],
      ['nested [fwd:', `${'[fwd:'.repeat(N / 10)}x${']'.repeat(N / 10)}`],
      ['[fwd: + spaces', `[fwd:${' '.repeat(N)}x`],
      ['[ repeated', '['.repeat(N)],
      ['Re [ + text', `Re [${'a'.repeat(N)}`],
      ['blobs', '[a]'.repeat(N / 3)],
    ),
    run: (text) => extractBaseSubject(text),
  },
  {
    // Was exponential in the wildcards: *a*a*a*b against 200 a's took 2.4 s, one more * minutes.
    name: 'LIST pattern',
    inputs: inputs(
      ['*a × 100 + *b against levels of a', `${'*a'.repeat(100)}*b\n${`${'a'.repeat(255)}/`.repeat(40)}`],
      ['%a × 100 + %b against a long level', `${'%a'.repeat(100)}%b\n${'a'.repeat(N / 10)}`],
      ['a long pattern of literals', `${'a'.repeat(N)}\n${'a'.repeat(255)}`],
    ),
    run: (text) => {
      const [pattern = '', name = ''] = text.split('\n');
      return wildcardMatcher(pattern)(name);
    },
  },
  {
    name: 'SORT/THREAD header facts',
    inputs: inputs(
      ['Date: spaces + )', `Date: ${' '.repeat(N)})\r\n\r\n`],
      ['Date: ( repeated + )', `Date: ${'('.repeat(N)})\r\n\r\n`],
      ['References: < repeated', `References: ${'<'.repeat(N)}\r\n\r\n`],
      ['From: a. repeated', `From: ${'a.'.repeat(N / 2)}\r\n\r\n`],
    ),
    run: (text) => headerFacts(Buffer.from(text), { uid: 1, size: text.length, internalDate: new Date(0) }),
  },
  {
    name: 'header summary (Subject, From, Date)',
    covers: ['store/header-summary.ts'],
    inputs: inputs(
      ['Subject: + spaces', `Subject:${' '.repeat(N)}x\r\n`],
      ['Subject: + tabs, no end', `Subject:${'\t'.repeat(N)}`],
      ['many short fields', 'Subject: x\r\n'.repeat(N / 12)],
      ['folded lines', `Subject: a${'\r\n '.repeat(N / 3)}`],
      ['encoded words', `Subject: ${'=?utf-8?q?a?= '.repeat(N / 14)}\r\n`],
    ),
    run: (text) => summarizeHeaders(Buffer.from(text)),
  },
  {
    name: 'CJK bigrams for the full-text index',
    covers: ['store/cjk.ts'],
    inputs: inputs(
      ['Han', '中'.repeat(N)],
      ['Han and spaces', '中 '.repeat(N / 2)],
      ['no CJK', 'a'.repeat(N)],
    ),
    run: (text) => cjkBigrams(text),
  },
  {
    name: 'MIME structured fields and address lists',
    inputs: inputs(
      ['parameters', `text/plain${'; a*0*=x'.repeat(N / 8)}`],
      ['comments', `text/plain; ${'('.repeat(N / 2)}${')'.repeat(N / 2)}`],
      ['quotes', `a; b="${'\\"'.repeat(N / 2)}`],
      ['addresses of dots', 'a.'.repeat(N / 2)],
      ['address of spaces', `a${' '.repeat(N)}b`],
      // Every '<' opens an address of its own, so this input makes one object per byte (about
      // 1.4 µs each): a quarter of N stays inside the budget and still shows a quadratic path.
      ['angle brackets', '<'.repeat(N / 4)],
    ),
    run: (text) => [parseStructured(text), parseAddressList(text)],
  },
  {
    // GHSA-2x7j-588g-ccc2: nodemailer 8.0.7, which mailauth 4.13.3 asks for, is quadratic here.
    name: 'address parser mailauth runs on every inbound From',
    inputs: inputs(
      ['a. repeated', 'a.'.repeat(N / 2)],
      ['a + spaces + b', `a${' '.repeat(N)}b`],
      ['comment-joined', 'a(b)'.repeat(N / 4)],
    ),
    run: (text) => mailauthAddressParser(text),
  },
  {
    name: 'forged Authentication-Results removal',
    inputs: inputs(
      ['fields of spaces', `Authentication-Results:${' '.repeat(N)}\r\n\r\n`],
      ['many fields', 'Authentication-Results: mx; none\r\n'.repeat(N / 34) + '\r\n'],
    ),
    run: (text) => removeForgedResults(Buffer.from(text, 'latin1'), 'mx'),
  },
  {
    // Was quadratic: `^(.*?)\s*\(` on a run of spaces.
    name: 'cmdlet sizes',
    inputs: inputs(
      ['spaces + (1 bytes)', `1${' '.repeat(N)}(1 bytes)`],
      ['spaces + )', `1${' '.repeat(N)})`],
      ['( repeated + )', `${'('.repeat(N)})`],
      ['digits and commas', `1 MB (${'1,000'.repeat(N / 5)} bytes)`],
    ),
    run: (text) => swallow(() => parseSize(text)),
  },
  {
    // Was quadratic: `\.+$` on inner dots; `^[^\s@]+\.[^\s@]+$` on a. repeated.
    name: 'names and addresses in cmdlets',
    inputs: inputs(
      ['inner dots', `a${'.'.repeat(N)}a`],
      ['a. repeated + @', `${'a.'.repeat(N / 2)}@`],
      ['a@ + a. repeated + space', `a@${'a.'.repeat(N / 2)} `],
    ),
    run: (text) => [deriveAlias(text), looksLikeDomain(text), isEmailAddress(text)],
  },
  {
    // Was quadratic: a lazy BEGIN…END pattern searched the rest of the file for every BEGIN.
    name: 'PEM blocks of an imported certificate',
    inputs: inputs(
      ['BEGIN repeated', '-----BEGIN CERTIFICATE-----'.repeat(N / 27)],
      ['BEGIN repeated + END', `${'-----BEGIN CERTIFICATE-----'.repeat(N / 27)}-----END CERTIFICATE-----`],
      ['key BEGINs', '-----BEGIN RSA PRIVATE KEY-----'.repeat(N / 31)],
    ),
    run: (text) => [
      pemBlocks(text, ['-----BEGIN CERTIFICATE-----'], ['-----END CERTIFICATE-----']),
      pemBlocks(text, ['-----BEGIN PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----'], ['-----END PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----']),
    ],
  },
];
