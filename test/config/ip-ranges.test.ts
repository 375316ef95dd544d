// RemoteIPRanges entries: the forms Set-ReceiveConnector takes, table-tested, and a property test
// that every parsed range contains exactly the addresses between its ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressValue, checkIpRange, matchSize, parseIpRange } from '../../src/config/ip-ranges.ts';
import { prng, randomInt } from '../support/random.ts';

const v4 = (s: string) => addressValue(s)!.value;
const v6 = (s: string) => addressValue(s)!.value;

test('the accepted forms, and what each covers', () => {
  const table: [string, { family: 4 | 6; start: bigint; end: bigint } | undefined][] = [
    ['192.168.1.10', { family: 4, start: v4('192.168.1.10'), end: v4('192.168.1.10') }],
    [' 192.168.1.10 ', { family: 4, start: v4('192.168.1.10'), end: v4('192.168.1.10') }],
    ['192.168.1.10-192.168.1.20', { family: 4, start: v4('192.168.1.10'), end: v4('192.168.1.20') }],
    ['192.168.1.77/24', { family: 4, start: v4('192.168.1.0'), end: v4('192.168.1.255') }],
    ['192.168.1.0(255.255.255.0)', { family: 4, start: v4('192.168.1.0'), end: v4('192.168.1.255') }],
    ['0.0.0.0-255.255.255.255', { family: 4, start: 0n, end: 0xffffffffn }],
    ['0.0.0.0/0', { family: 4, start: 0n, end: 0xffffffffn }],
    ['10.0.0.1/32', { family: 4, start: v4('10.0.0.1'), end: v4('10.0.0.1') }],
    ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', { family: 6, start: 0n, end: (1n << 128n) - 1n }],
    ['2001:db8::/32', { family: 6, start: v6('2001:db8::'), end: v6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff') }],
    ['::1', { family: 6, start: 1n, end: 1n }],
    ['::ffff:10.1.2.3', { family: 4, start: v4('10.1.2.3'), end: v4('10.1.2.3') }],
    ['192.168.1.20-192.168.1.10', undefined],
    ['192.168.1.0/33', undefined],
    ['192.168.1.0/', undefined],
    ['192.168.1.0/2x', undefined],
    ['192.168.1.0(255.0.255.0)', undefined],
    ['10.0.0.1-::1', undefined],
    ['mail.contoso.com', undefined],
    ['', undefined],
    ['256.1.1.1', undefined],
  ];
  for (const [text, expected] of table) assert.deepEqual(parseIpRange(text), expected, text);
  assert.equal(checkIpRange('10.0.0.0/8'), undefined);
  assert.match(checkIpRange('10.0.0.0/99')!, /got '10\.0\.0\.0\/99'/);
});

test('matchSize: the smallest entry that contains the client, IPv4-mapped clients as IPv4', () => {
  const ranges = ['0.0.0.0-255.255.255.255', '10.0.0.0/8', '10.1.2.3'].map((r) => parseIpRange(r)!);
  assert.equal(matchSize(ranges, '10.1.2.3'), 1n);
  assert.equal(matchSize(ranges, '::ffff:10.9.9.9'), 1n << 24n);
  assert.equal(matchSize(ranges, '192.0.2.1'), 1n << 32n);
  assert.equal(matchSize(ranges, '2001:db8::1'), undefined);
  assert.equal(matchSize(ranges, 'not an address'), undefined);
});

test('property: a CIDR range holds its base and its last address, and nothing just outside', () => {
  const random = prng(42);
  for (let i = 0; i < 500; i++) {
    const address = Array.from({ length: 4 }, () => randomInt(random, 256)).join('.');
    const prefix = randomInt(random, 33);
    const range = parseIpRange(`${address}/${prefix}`)!;
    assert.equal(range.end - range.start + 1n, 1n << BigInt(32 - prefix));
    assert.ok(range.start <= v4(address) && v4(address) <= range.end);
    assert.equal(range.start % (1n << BigInt(32 - prefix)), 0n);
    const toText = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
    const ranges = [range];
    assert.equal(matchSize(ranges, toText(range.start)), range.end - range.start + 1n);
    assert.equal(matchSize(ranges, toText(range.end)), range.end - range.start + 1n);
    if (range.start > 0n) assert.equal(matchSize(ranges, toText(range.start - 1n)), undefined);
    if (range.end < 0xffffffffn) assert.equal(matchSize(ranges, toText(range.end + 1n)), undefined);
  }
});

test('property: random text never throws, and what parses has start ≤ end', () => {
  const random = prng(7);
  const alphabet = '0123456789abcdef.:/-()% ';
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: randomInt(random, 40) }, () => alphabet[randomInt(random, alphabet.length)]).join('');
    const range = parseIpRange(text);
    if (range) assert.ok(range.start <= range.end, text);
  }
});
