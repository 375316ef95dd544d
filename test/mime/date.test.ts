// The Date field parser (RFC 5322 §3.3 and §4.3): the written calendar day SEARCH SENT* keys
// compare, the instant, the zone; obsolete forms; values that are no date. The days of the
// valid cases are the ones Dovecot 2.3 gives the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayNumber, parseMessageDate } from '../../src/mime/index.ts';
import { cpuCost } from '../support/cpu-time.ts';
import { prng } from '../support/random.ts';

const day = (iso: string) => dayNumber(iso);

test('dayNumber counts days from 1970-01-01', () => {
  assert.equal(dayNumber('1970-01-01'), 0);
  assert.equal(dayNumber('1970-01-02'), 1);
  assert.equal(dayNumber('1969-12-31'), -1);
  assert.equal(dayNumber('2007-03-25'), 13597);
});

test('Date fields: the day as written, the instant and the zone', () => {
  const cases: [string, string, string, number][] = [
    // [value, written day, instant (UTC), zone minutes]
    ['Sun, 25 Mar 2007 01:00:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['Sat, 24 Mar 2007 23:00:00 +0200', '2007-03-24', '2007-03-24T21:00:00Z', 120],
    ['Mon, 26 Mar 2007 00:00:00 +0300', '2007-03-26', '2007-03-25T21:00:00Z', 180],
    ['Sun, 28 Oct 2007 03:00:00 +0200', '2007-10-28', '2007-10-28T01:00:00Z', 120],
    ['Sun, 25 Mar 2007 23:00:00 -1200', '2007-03-25', '2007-03-26T11:00:00Z', -720],
    ['Sat, 24 Mar 2007 23:00:00 -0500', '2007-03-24', '2007-03-25T04:00:00Z', -300],
    ['25 Mar 2007 01:00:00 +0530', '2007-03-25', '2007-03-24T19:30:00Z', 330],
    // Comments, a zone name in a comment, no seconds, lower case, extra blanks, no comma.
    ['Sun, 25 Mar 2007 01:00:00 +0300 (EEST)', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['(sent) Sun, 25 Mar 2007 01:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['sun,25 mar 2007   01:00:00\t+0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['Sun 25 Mar 2007 01:00:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['Sunday, 25 March 2007 01:00:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['25 Mar 2007 1:00:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    // RFC 5322 §4.3: two- and three-digit years, zone names, military zones as -0000.
    ['Sun, 25 Mar 07 01:00 +0300', '2007-03-25', '2007-03-24T22:00:00Z', 180],
    ['Thu, 25 Mar 99 01:00:00 +0000', '1999-03-25', '1999-03-25T01:00:00Z', 0],
    ['Sun, 25 Mar 107 01:00:00 +0000', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    ['Sun, 25 Mar 2007 01:00:00 EST', '2007-03-25', '2007-03-25T06:00:00Z', -300],
    ['Sun, 25 Mar 2007 01:00:00 pdt', '2007-03-25', '2007-03-25T08:00:00Z', -420],
    ['Sun, 25 Mar 2007 01:00:00 GMT', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    ['Sun, 25 Mar 2007 01:00:00 A', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    // No zone, or a malformed one: the written time taken as UTC, the day unchanged.
    ['25 Mar 2007 01:00:00', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    ['25 Mar 2007 01:00:00 +03', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    ['25 Mar 2007 01:00:00 +0360', '2007-03-25', '2007-03-25T01:00:00Z', 0],
    ['Tue, 29 Feb 2000 12:00:00 +0000', '2000-02-29', '2000-02-29T12:00:00Z', 0],
    ['Sat, 31 Dec 2016 23:59:60 +0000', '2016-12-31', '2017-01-01T00:00:00Z', 0],
    ['Thu, 1 Jan 1970 00:00:00 +0100', '1970-01-01', '1969-12-31T23:00:00Z', 60],
  ];
  for (const [value, written, instant, zone] of cases) {
    const got = parseMessageDate(value);
    assert.ok(got, value);
    assert.equal(got.day, day(written), `${value}: day`);
    assert.equal(new Date(got.time).toISOString(), new Date(instant).toISOString(), `${value}: instant`);
    assert.equal(got.offsetMinutes, zone, `${value}: zone`);
  }
});

test('Date fields that are no date', () => {
  for (const value of [
    '', 'garbage', '25 Mar 2007', '25 Mar 2007 junk', 'Mar 25 2007 01:00:00 +0300', '2007-03-25 01:00:00',
    '31 Feb 2007 10:00:00 +0000', '29 Feb 2007 10:00:00 +0000', '0 Mar 2007 10:00:00 +0000', '25 Foo 2007 10:00:00 +0000',
    'Sun, 25 Mar 2007 25:00:00 +0000', 'Sun, 25 Mar 2007 10:60:00 +0000', 'Sun, 25 Mar 2007 10:00:61 +0000',
    'Sun, 25 Mar 2007 10 +0000', 'Sun, 25 Mar 2007 10:00:00:00 +0000', 'Sun, 25 Mar 20071 10:00:00 +0000',
    '(25 Mar 2007 10:00:00 +0000)', '123 Mar 2007 10:00:00 +0000',
  ]) {
    assert.equal(parseMessageDate(value), null, value);
  }
});

test('fuzz: any value gives null or a date whose day is an integer, quickly', () => {
  const rng = prng(11);
  const alphabet = '0123456789 :,+-()\\\tMarSunFebJanESTzxy\u00e9\r\n';
  const { ms } = cpuCost(() => {
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const n = Math.floor(rng() * 60);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rng() * alphabet.length)];
      if (rng() < 0.3) s = `${Math.floor(rng() * 40)} ${['Jan', 'mar', 'Dec', 'xyz'][Math.floor(rng() * 4)]} ${Math.floor(rng() * 3000)} ${s}`;
      const got = parseMessageDate(s);
      if (got === null) continue;
      assert.ok(Number.isInteger(got.day) && Number.isFinite(got.time), s);
      assert.ok(Math.abs(got.offsetMinutes) < 24 * 60, s);
    }
    // Hostile sizes: one long run of comments and blanks is read in linear time and cut short.
    parseMessageDate('('.repeat(100_000));
    parseMessageDate(`${' '.repeat(100_000)}25 Mar 2007 01:00:00 +0300`);
    parseMessageDate('1 '.repeat(100_000));
  });
  assert.ok(ms < 2000, `${ms} ms of CPU`);
});
