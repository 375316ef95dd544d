// `npm start` on an empty data folder: organization, certificate, Administrator and demo
// mailbox, POP3 and IMAP4 enabled with the commands printed, credentials printed, server up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePortOffset, startMailroom, tempDataDir } from '../helpers.ts';

const data = tempDataDir();
after(() => data.cleanup());

function python(script: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('quickstart sets everything up, prints it, and serves IMAP4 and POP3 over TLS', async () => {
  const offset = await freePortOffset();
  const env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  const server = await startMailroom(['quickstart'], env);
  try {
    const out = server.output();
    assert.match(out, /mailroom Set-Service imap4,imap4-backend -StartupType Automatic/);
    assert.match(out, /mailroom Set-Service pop3,pop3-backend -StartupType Automatic/);
    assert.match(out, new RegExp(`IMAP4\\s+server localhost\\s+port ${993 + offset} SSL/TLS, or port ${143 + offset} STARTTLS`));
    const demo = /Demo mailbox\s+(\S+)\s+password (\S+)/.exec(out);
    const admin = /Administrator\s+(\S+)\s+password (\S+)/.exec(out);
    assert.ok(demo && admin, out);
    assert.equal(demo[1], 'demo@mailroom.test');

    // A real client over implicit TLS: the demo user gets past authentication; the
    // Administrator is refused exactly like a wrong password.
    const imap = python(`
import imaplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def attempt(user, pw):
    c = imaplib.IMAP4_SSL('127.0.0.1', ${993 + offset}, ssl_context=ctx)
    print('GREETING', c.welcome.decode())
    try:
        c.login(user, pw); print('LOGIN OK')
    except imaplib.IMAP4.error as e:
        print('LOGIN', e)
    c.logout()
attempt(${JSON.stringify(demo[1])}, ${JSON.stringify(demo[2])})
attempt(${JSON.stringify(admin[1])}, ${JSON.stringify(admin[2])})
attempt(${JSON.stringify(demo[1])}, 'wrong-password')
`);
    assert.equal(imap.status, 0, imap.stderr);
    const lines = imap.stdout.trim().split('\n');
    assert.equal(lines[0], 'GREETING * OK The Mailroom IMAP4 service is ready.');
    assert.doesNotMatch(lines[1]!, /AUTHENTICATIONFAILED/);
    assert.match(lines[3]!, /AUTHENTICATIONFAILED/);
    assert.match(lines[5]!, /AUTHENTICATIONFAILED/);
    assert.equal(lines[3]!.replace(/LOGIN/g, ''), lines[5]!.replace(/LOGIN/g, ''));

    const pop = python(`
import poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = poplib.POP3_SSL('127.0.0.1', ${995 + offset}, context=ctx)
print(c.getwelcome().decode())
`);
    assert.equal(pop.status, 0, pop.stderr);
    assert.equal(pop.stdout.trim(), '+OK The Mailroom POP3 service is ready.');
  } finally {
    assert.equal(await server.stop(), 0);
  }

  // A second start reuses the organization and prints the same settings again.
  const again = await startMailroom(['quickstart'], env);
  try {
    assert.match(again.output(), /Demo mailbox\s+demo@mailroom.test/);
    assert.doesNotMatch(again.output(), /Created organization/);
  } finally {
    await again.stop();
  }
});
