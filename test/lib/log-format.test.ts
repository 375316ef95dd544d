// Log lines: readable one-line text on a terminal, JSON lines otherwise (lib/log-format.ts), and
// the real server choosing between them by whether its standard output is a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chooseLogFormat, prettyLogLine } from '../../src/lib/log-format.ts';
import { BIN, freePortOffset, tempDataDir } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { pick, prng, randomInt } from '../support/random.ts';

test('the format: a terminal gets pretty, anything else JSON, MAILROOM_LOG_FORMAT forces either', () => {
  const cases: [string | undefined, boolean, string][] = [
    [undefined, true, 'pretty'], [undefined, false, 'json'], ['', true, 'pretty'],
    ['json', true, 'json'], ['pretty', false, 'pretty'], ['json', false, 'json'],
  ];
  for (const [setting, tty, want] of cases) assert.equal(chooseLogFormat(setting, tty), want, `${setting}/${tty}`);
  assert.throws(() => chooseLogFormat('text', true), /MAILROOM_LOG_FORMAT must be pretty or json \(got 'text'\)/);
});

test('pretty lines: time, level, role, message, fields, error stack', () => {
  const time = Date.UTC(2026, 11, 7, 14, 3, 7, 215);
  const cases: [Record<string, unknown> | string, string][] = [
    [{ level: 30, time, pid: 1, role: 'all', msg: 'Mailroom ready', server: 'MAIL01' }, '14:03:07.215 INFO  [all] Mailroom ready server=MAIL01\n'],
    [{ level: 40, time, msg: 'careful', folder: '/var/lib/my data' }, '14:03:07.215 WARN  careful folder="/var/lib/my data"\n'],
    [{ level: 20, time, msg: 'x', n: 3, ok: true, none: null, obj: { a: 1 } }, '14:03:07.215 DEBUG x n=3 ok=true none=null obj={"a":1}\n'],
    [{ level: 50, time, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' } },
      '14:03:07.215 ERROR failed\n    Error: boom\n        at f (x.ts:1:1)\n'],
    [{ level: 30, time, msg: 'client said \x1b[2Jhi', user: 'a=b' }, '14:03:07.215 INFO  client said \\x1b[2Jhi user="a=b"\n'],
    [{ level: 30, time, msg: 'empty', v: '' }, '14:03:07.215 INFO  empty v=""\n'],
    ['not json at all', 'not json at all\n'],
    ['[1,2]', '[1,2]\n'],
  ];
  for (const [input, want] of cases) {
    assert.equal(prettyLogLine(typeof input === 'string' ? input : JSON.stringify(input), false), want);
  }
  assert.match(prettyLogLine(JSON.stringify({ level: 30, time, msg: 'hi' }), true), /^\x1b\[2m14:03:07\.215\x1b\[0m \x1b\[32mINFO \x1b\[0m hi\n$/);
});

test('property: any JSON object or text gives one newline-terminated text with no control characters but newlines', () => {
  const seed = 0x106f;
  const random = prng(seed);
  const atoms = ['msg', 'level', 'time', 'err', 'role', 'x', '\x1b', '\u0000', '\r\n', '"', '=', ' ', '中', '{', '}', '30', 'null', '\\'];
  for (let i = 0; i < 3000; i++) {
    const text = () => Array.from({ length: randomInt(random, 6) }, () => pick(random, atoms)).join('');
    const value = (): unknown => pick(random, [() => text(), () => randomInt(random, 100), () => null, () => true, () => ({ [text()]: text() }), () => [text()]])();
    const entry: Record<string, unknown> = {};
    for (let k = randomInt(random, 6); k > 0; k--) entry[pick(random, [text(), 'msg', 'level', 'time', 'err', 'role'])] = value();
    const input = random() < 0.8 ? JSON.stringify(entry) : text();
    const out = prettyLogLine(input, random() < 0.5);
    assert.ok(out.endsWith('\n'), `seed ${seed} case ${i}`);
    assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f]/, `seed ${seed} case ${i}: ${JSON.stringify(out)}`);
  }
});

/** Starts the server (through `script` when `tty`), returns its output up to the ready line. */
async function firstLines(data: string, offset: number, tty: boolean, format?: string): Promise<string> {
  const env = { ...process.env, MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset), MAILROOM_LOG_LEVEL: 'info', MAILROOM_LOG_FORMAT: format ?? '' };
  const command = `exec ${process.execPath} ${BIN} start`;
  const child = tty
    ? spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, 'start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const started = Date.now();
    // The whole ready line, up to its line break: a chunk may end in the middle of it.
    while (!/Mailroom ready[^\n]*\n/.test(out)) {
      if (Date.now() - started > 30_000 || child.exitCode !== null) throw new Error(`no ready line; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

test('the server logs pretty lines on a terminal and JSON lines into a pipe', { skip: process.platform !== 'linux' }, async () => {
  const data = tempDataDir();
  try {
    await createTestOrganization(data.path, { mailboxes: [], password: 'Pa55-word-2026' });
    const offset = await freePortOffset();
    const onTerminal = await firstLines(data.path, offset, true);
    const ready = onTerminal.split(/\r?\n/).find((l) => l.includes('Mailroom ready'))!;
    assert.match(ready, /^(\x1b\[2m)?\d\d:\d\d:\d\d\.\d{3}(\x1b\[0m)? (\x1b\[32m)?INFO /, JSON.stringify(ready));
    assert.doesNotMatch(onTerminal, /"level":30/);

    const forcedJson = await firstLines(data.path, offset, true, 'json');
    assert.equal(JSON.parse(forcedJson.split(/\r?\n/).find((l) => l.includes('Mailroom ready'))!).level, 30);

    const piped = await firstLines(data.path, offset, false);
    const lines = piped.split('\n').filter(Boolean);
    for (const line of lines) assert.equal(typeof JSON.parse(line).level, 'number', line);
    assert.ok(lines.some((l) => JSON.parse(l).msg.startsWith('Mailroom ready')));

    const forcedPretty = await firstLines(data.path, offset, false, 'pretty');
    assert.match(forcedPretty, /^\d\d:\d\d:\d\d\.\d{3} INFO  \[supervisor\] Mailroom ready on MAIL01/m);
    assert.doesNotMatch(forcedPretty, /\x1b\[/, 'no colours into a pipe');
  } finally {
    data.cleanup();
  }
});
