// Dovecot's imaptest against a real `mailroom start` with the default security settings
// (IMAP4 over TLS on 993, SecureLogin): its scripted conformance suite must pass every group, and
// its stress mode (clients doing random commands while it checks that flags, keywords, EXPUNGE,
// \Recent and UIDs stay consistent between them) must report no error.
//
// The tool is built by test/tools/imaptest/build.sh (`.ci/run` does it). Without it these tests
// skip, unless MAILROOM_CI_TOOLS=1 (set by .ci/run), where a missing tool fails them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeStressMbox } from '../support/stress-mbox.ts';
import { join } from 'node:path';
import { FAST_PASSWORDS_CMDLET } from '../support/passwords.ts';
import { BIN, ROOT, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';

const TOOL = process.env.MAILROOM_IMAPTEST ?? join(ROOT, 'tmp', 'imaptest', 'imaptest');
const TESTS = join(TOOL, '..', 'src', 'tests');
const available = existsSync(TOOL) && existsSync(TESTS);
const required = process.env.MAILROOM_CI_TOOLS === '1';
const skip = available || required ? false : `imaptest is not built (bash test/tools/imaptest/build.sh tmp/imaptest)`;

const PASSWORD = 'Imap-test-2026';
const STRESS_USERS = 20;
const data = tempDataDir();
let env: Record<string, string>;
let port = 0;
let server: RunningServer | undefined;

function admin(...args: string[]) {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** Runs imaptest with these arguments against the server and returns what it printed. */
function imaptest(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TOOL, ['host=127.0.0.1', `port=${port}`, 'ssl=any-cert', `pass=${PASSWORD}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`imaptest did not finish within ${timeoutMs} ms; output so far:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}


before(async () => {
  if (!available) {
    if (required) throw new Error(`imaptest not found at ${TOOL}; build it with test/tools/imaptest/build.sh`);
    return;
  }
  const offset = await freePortOffset();
  port = 993 + offset;
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993');
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  admin('Set-Service', 'smtp,smtp-backend,web', '-StartupType', 'Disabled');
  const users = ['a', 'b', ...Array.from({ length: STRESS_USERS }, (_, i) => `u${i + 1}`)];
  // Cheap password hashing: this is about IMAP, not about what a logon costs.
  const lines = [FAST_PASSWORDS_CMDLET.join(' '), ...users.map((u) => `New-Mailbox -Name ${u} -Alias ${u} -Password '${PASSWORD}'`)].join('\n');
  const r = spawnSync(process.execPath, [BIN, 'shell'], {
    input: `${lines}\n`,
    env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `New-Mailbox: ${r.stderr}`);
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('imaptest scripted suite: every group passes', { skip }, async () => {
  const { output } = await imaptest(['user=a@contoso.com', 'user2=b@contoso.com', `test=${TESTS}`], 300_000);
  const summary = /(\d+) test groups: (\d+) failed, (\d+) skipped/.exec(output);
  assert.ok(summary, `no summary line in imaptest's output:\n${output}`);
  assert.ok(Number(summary[1]) >= 70, `only ${summary[1]} groups ran`);
  assert.equal(Number(summary[3]), 0, `groups skipped for missing capabilities:\n${output}`);
  assert.equal(Number(summary[2]), 0, `imaptest failures:\n${output}`);
});

test('imaptest stress mode, 10 clients: no consistency error', { skip }, async () => {
  const mbox = join(data.path, 'stress.mbox');
  writeStressMbox(mbox);
  const { output } = await imaptest(
    [`user=u%d@contoso.com`, `users=${STRESS_USERS}`, `mbox=${mbox}`, 'clients=10', 'secs=30'],
    120_000,
  );
  const errors = output.split('\n').filter((l) => l.startsWith('Error:'));
  assert.deepEqual(errors, [], `imaptest stress errors:\n${errors.slice(0, 40).join('\n')}`);
  // The run did work: the totals line (the first line of plain numbers after the header) counts
  // logins and fetches in the hundreds at least.
  const lines = output.split('\n');
  const header = lines.findIndex((l) => l.startsWith('Logi List'));
  assert.ok(header >= 0, `no totals in imaptest's output:\n${output}`);
  const totals = lines.slice(header + 1).map((l) => l.trim().split(/\s+/)).find((t) => t.length > 4 && t.every((x) => /^\d+$/.test(x)));
  assert.ok(totals, `no totals in imaptest's output:\n${output}`);
  assert.ok(Number(totals[0]) > 100 && Number(totals[4]) > 100, `too little traffic: ${totals.join(' ')}`);
});
