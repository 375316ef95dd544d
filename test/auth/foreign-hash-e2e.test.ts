// End to end: a `mailroom` server whose users were given hashes from Dovecot by
// `Set-Mailbox -PasswordHash`. Python's imaplib and poplib log on with the old passwords; a
// SCRAM-SHA-256 attempt before that fails cleanly (and LOGIN on the same connection still works);
// afterwards the directory holds Mailroom's scrypt hash and SCRAM keys, and SCRAM logs on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const data = tempDataDir('mailroom-foreign-e2e-');
let server: RunningServer | undefined;
let offset = 0;
let env: Record<string, string> = {};

const haveDoveadm = spawnSync('doveadm', ['pw', '-l']).status === 0;
const skip = !haveDoveadm && process.env.MAILROOM_CI_TOOLS !== '1' ? 'doveadm (dovecot-core) is not installed' : false;

// imaplib sends LOGIN in ASCII only; poplib and SCRAM carry Eli's UTF-8 (Dovecot hashed its bytes).
const DANA_PASSWORD = 'Dovecot-Pass-2026!';
const ELI_PASSWORD = 'Eli 密碼 2026!';

function doveadm(scheme: string, password: string): string {
  return execFileSync('doveadm', ['pw', '-s', scheme, '-p', password], { encoding: 'utf8' }).trim();
}

function stored(alias: string): { passwordHash: string; scram: string | null } {
  const db = new Database(join(data.path, 'directory.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT password_hash AS passwordHash, scram FROM mailboxes WHERE alias = ?').get(alias) as { passwordHash: string; scram: string | null };
    return row;
  } finally {
    db.close();
  }
}

function python(script: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// imaplib with a SCRAM-SHA-256 client written from RFC 5802 §3 (Python's standard library has none).
const IMAP_SCRIPT = String.raw`
import base64, hashlib, hmac, imaplib, os, ssl, sys
port, user, password, steps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(',')
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
class Scram:
    def __init__(self, user, password):
        self.user, self.password, self.nonce = user, password.encode(), base64.b64encode(os.urandom(18)).decode()
        self.state = 0
    def __call__(self, challenge):
        if self.state == 0:
            self.state = 1
            self.bare = 'n=%s,r=%s' % (self.user.replace('=', '=3D').replace(',', '=2C'), self.nonce)
            return ('n,,' + self.bare).encode()
        if self.state == 1:
            self.state = 2
            first = challenge.decode()
            attrs = dict(a.split('=', 1) for a in first.split(','))
            salted = hashlib.pbkdf2_hmac('sha256', self.password, base64.b64decode(attrs['s']), int(attrs['i']))
            without_proof = 'c=biws,r=' + attrs['r']
            auth = ','.join([self.bare, first, without_proof]).encode()
            client_key = hmac.new(salted, b'Client Key', 'sha256').digest()
            signature = hmac.new(hashlib.sha256(client_key).digest(), auth, 'sha256').digest()
            self.server_signature = hmac.new(hmac.new(salted, b'Server Key', 'sha256').digest(), auth, 'sha256').digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            return (without_proof + ',p=' + base64.b64encode(proof).decode()).encode()
        final = challenge.decode()
        print('SERVER-SIGNATURE', 'ok' if final == 'v=' + base64.b64encode(self.server_signature).decode() else 'BAD')
        return b''
m = imaplib.IMAP4_SSL('127.0.0.1', int(port), ssl_context=ctx)
for step in steps:
    try:
        if step == 'scram':
            typ, _ = m.authenticate('SCRAM-SHA-256', Scram(user, password))
        else:
            typ, _ = m.login(user, password)
        print(step, typ)
        break
    except imaplib.IMAP4.error as e:
        print(step, 'NO', e)
typ, data = m.select('INBOX')
print('select', typ)
m.logout()
`;

const POP_SCRIPT = String.raw`
import poplib, ssl, sys
port, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = poplib.POP3_SSL('127.0.0.1', int(port), context=ctx)
c.user(user)
try:
    print('pass', c.pass_(password).decode())
    print('stat', c.stat())
except poplib.error_proto as e:
    print('pass', e)
c.quit()
`;

before(async () => {
  if (skip) return;
  offset = await freePortOffset([25, 587, 465, 143, 993, 110, 995, 2525]);
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Dana Lee', 'dana'], ['Eli Park', 'eli']], password: 'Before-Import-2026' });
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('Set-Mailbox -PasswordHash stores a Dovecot hash and refuses one it cannot verify', { skip }, () => {
  const dana = doveadm('SHA512-CRYPT', DANA_PASSWORD);
  const eli = doveadm('BLF-CRYPT', ELI_PASSWORD);
  for (const [alias, hash] of [['dana', dana], ['eli', eli]] as const) {
    const r = mailroom(['Set-Mailbox', alias, '-PasswordHash', hash], env);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(stored(alias), { passwordHash: hash, scram: null });
  }
  const refused = mailroom(['Set-Mailbox', 'dana', '-PasswordHash', '{NTLM}8846F7EAEE8FB117AD06BDD830B7586C'], env);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr + refused.stdout, /not a password scheme Mailroom can verify/);
  // A secret is never echoed back, even in the error.
  assert.doesNotMatch(refused.stderr + refused.stdout, /8846F7EAEE8FB117AD06BDD830B7586C/);
  assert.equal(stored('dana').passwordHash, dana, 'the refused hash replaced nothing');

  const created = mailroom(['New-Mailbox', '-Name', 'Kim Cho', '-Alias', 'kim', '-PasswordHash', '{SSHA512}9fLTKr3kfjeZJ4xVWvGJ7QXauwVlYSNDI9sVGb/T70eSQt/vKvjP+gcI4zZPMXJTYKRRjlosyNHvm9xewW8UwPhCc3o='], env);
  assert.equal(created.status, 0, created.stderr + created.stdout);
  assert.doesNotMatch(created.stderr + created.stdout, /Generated password/);
  assert.deepEqual(stored('kim'), { passwordHash: '{SSHA512}9fLTKr3kfjeZJ4xVWvGJ7QXauwVlYSNDI9sVGb/T70eSQt/vKvjP+gcI4zZPMXJTYKRRjlosyNHvm9xewW8UwPhCc3o=', scram: null });
  const both = mailroom(['New-Mailbox', '-Name', 'Lee', '-Password', 'Some-Pass-2026', '-PasswordHash', dana], env);
  assert.notEqual(both.status, 0);
  assert.match(both.stderr + both.stdout, /cannot be used together/);
  const shared = mailroom(['New-Mailbox', '-Shared', '-Name', 'Support', '-PasswordHash', dana], env);
  assert.notEqual(shared.status, 0);
  assert.match(shared.stderr + shared.stdout, /shared mailbox has no logon/);
});

test('imaplib and poplib log on with the old passwords; the hashes become Mailroom\'s; SCRAM works afterwards', { skip }, async () => {
  server = await startMailroom(['start'], env);
  const imapPort = String(993 + offset);
  const popPort = String(995 + offset);

  // SCRAM first: no keys yet, so it is refused like a wrong password, and the client goes on to
  // LOGIN on the same connection.
  const first = python(IMAP_SCRIPT, imapPort, 'dana@contoso.com', DANA_PASSWORD, 'scram,login');
  assert.equal(first.status, 0, first.stderr);
  const lines = first.stdout.trim().split('\n');
  assert.match(lines[0]!, /^scram NO .*AUTHENTICATIONFAILED/);
  assert.equal(lines[1], 'login OK');
  assert.equal(lines[2], 'select OK');

  // POP3 USER/PASS against the imported bcrypt hash; a wrong one is refused.
  const wrong = python(POP_SCRIPT, popPort, 'eli@contoso.com', 'Eli 密碼 2027!');
  assert.match(wrong.stdout, /^pass b'-ERR/m, wrong.stderr);
  const pop = python(POP_SCRIPT, popPort, 'eli@contoso.com', ELI_PASSWORD);
  assert.equal(pop.status, 0, pop.stderr);
  assert.match(pop.stdout, /^pass \+OK/m);

  // Replaced in the background, once: scrypt at the organization's cost and SCRAM keys.
  await eventually(() => stored('dana').passwordHash.startsWith('$scrypt$') && stored('eli').passwordHash.startsWith('$scrypt$'), 30_000, 200);
  for (const alias of ['dana', 'eli']) {
    const s = stored(alias);
    assert.match(s.passwordHash, /^\$scrypt\$ln=10,r=8,p=1\$/);
    assert.match(s.scram ?? '', /^SCRAM-SHA-256\$4096:/);
  }

  const scram = python(IMAP_SCRIPT, imapPort, 'dana@contoso.com', DANA_PASSWORD, 'scram');
  assert.equal(scram.status, 0, scram.stderr);
  assert.deepEqual(scram.stdout.trim().split('\n'), ['SERVER-SIGNATURE ok', 'scram OK', 'select OK']);
  const scramEli = python(IMAP_SCRIPT, imapPort, 'eli@contoso.com', ELI_PASSWORD, 'scram');
  assert.deepEqual(scramEli.stdout.trim().split('\n'), ['SERVER-SIGNATURE ok', 'scram OK', 'select OK'], scramEli.stderr);
  // And the passwords go on working by LOGIN and USER/PASS, now against scrypt.
  assert.match(python(IMAP_SCRIPT, imapPort, 'dana@contoso.com', DANA_PASSWORD, 'login').stdout, /^login OK/m);
  assert.match(python(POP_SCRIPT, popPort, 'eli@contoso.com', ELI_PASSWORD).stdout, /^pass \+OK/m);
  assert.match(python(POP_SCRIPT, popPort, 'dana@contoso.com', DANA_PASSWORD).stdout, /^pass \+OK/m);
});
