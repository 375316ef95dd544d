// The small scanners that replaced super-linear patterns read what the patterns read: each is
// compared with its pattern on random short inputs over the characters the pattern turns on
// (short enough for the pattern to finish), plus a few table cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize } from '../src/cli/values.ts';
import { deriveAlias } from '../src/directory/directory.ts';
import { looksLikeDomain } from '../src/host/setup.ts';
import { pemBlocks } from '../src/lib/certificates.ts';
import { pick, prng, randomInt } from './support/random.ts';

const seed = Date.now() % 1_000_000;
const random = prng(seed);

function randomText(pieces: readonly string[], max = 10): string {
  let text = '';
  for (let i = randomInt(random, max + 1); i > 0; i--) text += pick(random, pieces);
  return text;
}

function compare<T>(pieces: readonly string[], scanner: (s: string) => T, pattern: (s: string) => T, runs = 5000): void {
  for (let run = 0; run < runs; run++) {
    const text = randomText(pieces);
    assert.deepEqual(scanner(text), pattern(text), `seed ${seed}: ${JSON.stringify(text)}`);
  }
}

test('Exchange-style sizes: the figure shown and the exact count', () => {
  assert.equal(parseSize('36 MB (37,748,736 bytes)'), 37_748_736);
  assert.equal(parseSize('36MB(37748736 bytes)'), 37_748_736);
  const outcome = (f: () => unknown) => {
    try {
      return f();
    } catch (err) {
      return (err as Error).constructor.name;
    }
  };
  // The patterns before: the one the scanner replaced decided which texts are Exchange's form,
  // and the figure shown only had to be a size.
  const refused = outcome(() => parseSize('x'));
  const byPattern = (s: string) => {
    const m = /^(.*?)\s*\(\s*(\d{1,3}(?:,\d{3})+|\d+)\s*bytes\s*\)$/i.exec(s.trim());
    if (!m) return outcome(() => parseSize(s));
    const shown = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(b|kb|mb|gb|tb)?$/i.exec(m[1]!);
    return !shown || shown[1] === '-' ? refused : outcome(() => parseSize(m[2]!.replaceAll(',', '')));
  };
  compare(['1', '36', ' ', 'MB', '(', ')', ',', '000', 'bytes', '-', '.5'], (s) => outcome(() => parseSize(s)), byPattern);
});

test('aliases made from names lose dots at both ends only', () => {
  assert.equal(deriveAlias('..Alice.Wong..'), 'Alice.Wong');
  // A name that keeps nothing gets a made-up alias, different each time: compared as a kind.
  const shape = (alias: string) => (/^user[0-9a-z]+$/.test(alias) ? 'made up' : alias);
  compare(['.', 'a', 'é', ' ', '-'], (s) => shape(deriveAlias(s)), (s) => {
    const ascii = s.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '').replace(/^\.+|\.+$/g, '');
    return ascii.length > 0 ? ascii.slice(0, 64) : 'made up';
  });
});

test('setup --domain: something, a dot, something, without spaces or @', () => {
  assert.equal(looksLikeDomain('contoso.com'), true);
  assert.equal(looksLikeDomain('contoso'), false);
  compare(['a', '.', ' ', '@', '\t'], looksLikeDomain, (s) => /^[^\s@]+\.[^\s@]+$/.test(s));
});

test('PEM blocks: certificates in order, the first private key of any kind', () => {
  const B = '-----BEGIN CERTIFICATE-----';
  const E = '-----END CERTIFICATE-----';
  const KB = (k: string) => `-----BEGIN ${k}PRIVATE KEY-----`;
  const KE = (k: string) => `-----END ${k}PRIVATE KEY-----`;
  const keyMarkers = (edge: (k: string) => string) => ['', 'RSA ', 'EC '].map(edge);
  const pieces = [B, E, KB(''), KE(''), KB('RSA '), KE('EC '), 'MIIB', '\n', 'x'];
  compare(pieces, (s) => pemBlocks(s, [B], [E]), (s) => s.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []);
  compare(pieces, (s) => pemBlocks(s, keyMarkers(KB), keyMarkers(KE))[0], (s) => s.match(/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----\n?/)?.[0]);
});
