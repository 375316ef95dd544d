// The protocol log writer on its own: Exchange's header and fields, CSV quoting, file names,
// roll-over by time and by size, one file for `unlimited`, continuing after a restart, and
// settings that change between lines.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatRecord, periodOf, protocolLogSettings, ProtocolLogWriter, ProtocolLogSession, type ProtocolLogRecord, type ProtocolLogSettings,
} from '../../src/lib/protocol-log.ts';

let folder: string;
let clock: Date;
const now = () => clock;
const at = (iso: string) => (clock = new Date(iso));

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mailroom-protolog-'));
  at('2026-11-20T08:15:00Z');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const settings = (overrides: Partial<ProtocolLogSettings> = {}): ProtocolLogSettings => ({
  enabled: true, location: folder, rollOver: 'Daily', perFileSizeQuota: 0, ...overrides,
});

function record(command: string, extra: Partial<ProtocolLogRecord> = {}): ProtocolLogRecord {
  return {
    dateTime: clock, sessionId: '08D1E5C6A5B1B2C3', seqNumber: 1, sIp: '127.0.0.1:995', cIp: '127.0.0.1:50000', user: 'alice@contoso.com',
    duration: 2, rqsize: 6, rpsize: 11, command, parameters: '', context: 'R=+OK', ...extra,
  };
}

const files = () => readdirSync(folder).sort();
const lines = (name: string) => readFileSync(join(folder, name), 'utf8').split('\r\n').filter(Boolean);

describe('protocol log writer', () => {
  test('a new file starts with Exchange 2013\'s header block', () => {
    const w = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    w.write(settings(), record('stat'));
    w.close();
    assert.deepEqual(files(), ['POP32026112008-1.LOG']);
    const [software, version, logType, date, fields, first] = lines('POP32026112008-1.LOG');
    assert.equal(software, '#Software: Mailroom');
    assert.match(version!, /^#Version: \d+\.\d+\.\d+/);
    assert.equal(logType, '#Log-type: POP3 Protocol Log');
    assert.equal(date, '#Date: 2026-11-20T08:15:00.000Z');
    assert.equal(fields, '#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context');
    assert.equal(first, '2026-11-20T08:15:00.000Z,08D1E5C6A5B1B2C3,1,127.0.0.1:995,127.0.0.1:50000,alice@contoso.com,2,6,11,stat,,R=+OK');
  });

  test('fields with commas or quotes are quoted, line breaks never split a record', () => {
    const line = formatRecord(record('pass', { context: 'R=-ERR [AUTH] Logon failure, "bad"', parameters: 'a\r\nb' }));
    assert.ok(line.endsWith(',pass,a b,"R=-ERR [AUTH] Logon failure, ""bad"""\r\n'), line);
  });

  test('Hourly, Daily, Weekly and Monthly periods', () => {
    const d = new Date('2026-11-20T08:15:00Z'); // a Friday
    assert.equal(periodOf(d, 'Hourly'), '2026112008');
    assert.equal(periodOf(d, 'Daily'), '20261120');
    assert.equal(periodOf(d, 'Weekly'), 'W20261116');
    assert.equal(periodOf(new Date('2026-11-22T23:59:00Z'), 'Weekly'), 'W20261116');
    assert.equal(periodOf(new Date('2026-11-23T00:00:00Z'), 'Weekly'), 'W20261123');
    assert.equal(periodOf(d, 'Monthly'), '202611');
  });

  test('with LogPerFileSizeQuota 0, a new file starts when the roll-over period changes', () => {
    const w = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    w.write(settings({ rollOver: 'Hourly' }), record('a'));
    at('2026-11-20T08:59:59Z');
    w.write(settings({ rollOver: 'Hourly' }), record('b'));
    at('2026-11-20T09:00:01Z');
    w.write(settings({ rollOver: 'Hourly' }), record('c'));
    at('2026-11-20T23:00:00Z');
    w.write(settings({ rollOver: 'Daily' }), record('d'));
    at('2026-11-21T00:30:00Z');
    w.write(settings({ rollOver: 'Daily' }), record('e'));
    w.close();
    assert.deepEqual(files(), ['POP32026112008-1.LOG', 'POP32026112009-1.LOG', 'POP32026112100-1.LOG']);
    assert.equal(lines('POP32026112008-1.LOG').filter((l) => !l.startsWith('#')).length, 2);
    assert.equal(lines('POP32026112009-1.LOG').filter((l) => !l.startsWith('#')).length, 2);
  });

  test('a size quota starts -2, -3, ... files within the hour; unlimited keeps one file', () => {
    const w = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    for (let i = 0; i < 10; i++) w.write(settings({ perFileSizeQuota: 600 }), record(`cmd${i}`));
    w.close();
    const names = files();
    assert.ok(names.length >= 3, names.join());
    names.forEach((n, i) => assert.equal(n, `POP32026112008-${i + 1}.LOG`));
    for (const n of names) assert.ok(readFileSync(join(folder, n)).length <= 600, n);

    rmSync(folder, { recursive: true });
    const u = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    for (let i = 0; i < 10; i++) {
      at(`2026-${String(i + 1).padStart(2, '0')}-01T00:00:00Z`);
      u.write(settings({ perFileSizeQuota: 'unlimited' }), record(`cmd${i}`));
    }
    u.close();
    assert.equal(files().length, 1);
  });

  test('after a restart the current file is continued, not overwritten', () => {
    const first = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    first.write(settings(), record('before'));
    first.close();
    const second = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    second.write(settings(), record('after'));
    second.close();
    assert.deepEqual(files(), ['POP32026112008-1.LOG']);
    const body = lines('POP32026112008-1.LOG').filter((l) => !l.startsWith('#'));
    assert.deepEqual(body.map((l) => l.split(',')[9]), ['before', 'after']);
  });

  test('a change of folder, or turning the log off, applies to the next line', () => {
    const w = new ProtocolLogWriter({ prefix: 'POP3', logType: 'POP3 Protocol Log' }, { now });
    w.write(settings(), record('one'));
    w.write(settings({ location: join(folder, 'elsewhere') }), record('two'));
    w.write(settings({ enabled: false }), record('three'));
    w.close();
    assert.deepEqual(readdirSync(join(folder, 'elsewhere')), ['POP32026112008-1.LOG']);
    const all = [...lines('POP32026112008-1.LOG'), ...lines(join('elsewhere', 'POP32026112008-1.LOG'))].join('\n');
    assert.ok(!all.includes('three'));
  });

  test('a session numbers its lines, counts sizes and writes CloseSession once', () => {
    const w = new ProtocolLogWriter({ prefix: 'IMAP4', logType: 'IMAP4 Protocol Log' }, { now });
    const session = new ProtocolLogSession(w, () => settings(), { server: '[::1]:993', client: '[::1]:40000' });
    session.open();
    const entry = session.begin('auth', 'PLAIN', 12);
    entry.addResponse('+ \r\n');
    entry.addRequest(30);
    entry.addResponse('-ERR [AUTH] Logon failure.\r\n');
    entry.finish('Reason=credentials');
    session.close('quit');
    session.close('again');
    w.close();
    const body = lines(files()[0]!).filter((l) => !l.startsWith('#')).map((l) => l.split(','));
    assert.deepEqual(body.map((f) => [f[2], f[9]]), [['0', 'OpenSession'], ['1', 'auth'], ['2', 'CloseSession']]);
    const auth = body[1]!;
    assert.deepEqual([auth[3], auth[4], auth[7], auth[8], auth[10], auth[11]], ['[::1]:993', '[::1]:40000', '42', '32', 'PLAIN', 'R=-ERR [AUTH] Logon failure.;Reason=credentials']);
  });

  test('settings are read from a PopSettings document', () => {
    assert.deepEqual(
      protocolLogSettings({ ProtocolLogEnabled: true, LogFileLocation: 'Logging/Pop3', LogFileRollOverSettings: 'Hourly', LogPerFileSizeQuota: 'unlimited' }),
      { enabled: true, location: 'Logging/Pop3', rollOver: 'Hourly', perFileSizeQuota: 'unlimited' },
    );
    assert.equal(protocolLogSettings({ LogPerFileSizeQuota: 2097152 }).perFileSizeQuota, 2097152);
    assert.equal(protocolLogSettings({}).enabled, false);
  });
});
