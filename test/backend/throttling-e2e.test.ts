// Throttling policies against a running `mailroom start`, set with the cmdlets while it runs:
// ImapMaxConcurrency refuses one connection too many for that user only, a tiny IMAP4 budget
// slows a busy client down without locking it out (and it recovers), MessageRateLimit answers
// SMTP submissions past the rate with a temporary error. The clients are real: raw sockets,
// python's imaplib, poplib and smtplib.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { cmdletCommand } from '../../src/cli/run.ts';
import { Directory } from '../../src/directory/directory.ts';
import { LineClient } from '../frontend/line-client.ts';
import { python } from '../frontend/python.ts';
import { configurationApplied, eventually, freePortOffset, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const PASSWORD = 'Throttle-Pass-2026';
const data = tempDataDir('mailroom-throttling-');
let offset: number;
let server: RunningServer | undefined;
let dir: Directory;

/** Runs a cmdlet in this process against the server's directory; the server applies it at its next look at the directory (applied() waits for that). */
async function cmdlet(name: string, ...args: string[]): Promise<{ status: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const status = await cmdletCommand(name, args, out, dir).catch((err: Error) => {
    text += err.message;
    return 1;
  });
  return { status, out: text };
}

/** Waits until the running server has applied every change the cmdlets so far made. */
async function applied(): Promise<void> {
  await configurationApplied(server!, await dir.revision());
}

async function ok(name: string, ...args: string[]): Promise<string> {
  const r = await cmdlet(name, ...args);
  assert.equal(r.status, 0, `${name} ${args.join(' ')}: ${r.out}`);
  return r.out;
}

before(async () => {
  offset = await freePortOffset();
  await createTestOrganization(data.path, {
    mailboxes: [['Alice Wong', 'alice'], ['Bob Kelly', 'bob'], ['Carol Chen', 'carol'], ['Dave Lee', 'dave'], ['Erin Wu', 'erin']], password: PASSWORD,
  });
  process.env.MAILROOM_DATA = data.path;
  dir = await Directory.open();
  await dir.updateSettings('ImapSettings', { LoginType: 'PlainTextLogin' }, 'MAIL01');
  await dir.updateSettings('PopSettings', { LoginType: 'PlainTextLogin' }, 'MAIL01');
  server = await startMailroom(['start'], { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) });
});

after(async () => {
  await server?.stop();
  await dir?.close();
  data.cleanup();
});

async function imapLogon(user: string): Promise<{ client: LineClient; answer: string }> {
  const client = new LineClient(await LineClient.connect(143 + offset, false));
  assert.match(await client.line(), /^\* OK/);
  client.send(`a LOGIN ${user}@contoso.com ${PASSWORD}`);
  return { client, answer: await client.line(10_000) };
}

async function command(c: LineClient, tag: string, text: string): Promise<string> {
  c.send(`${tag} ${text}`);
  for (;;) {
    const line = await c.line(30_000);
    if (line.startsWith(`${tag} `)) return line;
  }
}

/** NOOPs one after another for `ms`: how many were answered, each OK. */
async function busy(c: LineClient, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) {
    assert.match(await command(c, `n${n}`, 'NOOP'), /^n\d+ OK/);
    n++;
  }
  return n;
}

test('Get-ThrottlingPolicy shows the Global policy with Exchange 2013\'s values', async () => {
  const policies = JSON.parse(await ok('Get-ThrottlingPolicy', '--json')) as Record<string, unknown>[];
  assert.equal(policies.length, 1);
  const global = policies[0]!;
  assert.equal(global.ThrottlingPolicyScope, 'Global');
  assert.match(String(global.Name), /^GlobalThrottlingPolicy_/);
  assert.equal(global.PopMaxConcurrency, 20);
  assert.equal(global.ImapMaxConcurrency, 'Unlimited');
  assert.equal(global.ImapMaxBurst, 3_600_000);
  assert.equal(global.ImapRechargeRate, 1_800_000);
  assert.equal(global.ImapCutoffBalance, 'Unlimited');
  assert.equal(global.MessageRateLimit, 'Unlimited');
});

test('ImapMaxConcurrency 2: the third IMAP4 connection of that user is refused, other users are not, a freed slot is usable again', async () => {
  await ok('New-ThrottlingPolicy', 'Two IMAP', '-ImapMaxConcurrency', '2', '-PopMaxConcurrency', '0');
  await ok('Set-ThrottlingPolicyAssociation', 'alice', '-ThrottlingPolicy', 'Two IMAP');
  const shown = JSON.parse(await ok('Get-Mailbox', 'alice', '--json')) as Record<string, unknown>[];
  assert.equal(shown[0]!.ThrottlingPolicy, 'Two IMAP');

  const first = await imapLogon('alice');
  assert.match(first.answer, /^a OK/);
  const second = await imapLogon('alice');
  assert.match(second.answer, /^a OK/);
  // The server applies the association within a second of the change.
  let third = '';
  await eventually(async () => {
    const attempt = await imapLogon('alice');
    third = attempt.answer;
    attempt.client.close();
    return /^a NO/.test(third);
  }, 5000, 200);
  assert.match(third, /^a NO \[LIMIT\] Too many IMAP4 connections for this user \(ImapMaxConcurrency 2 of throttling policy Two IMAP\)\./);
  // python's imaplib sees the same refusal.
  const py = await python(`
import imaplib, sys
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
try:
    c.login('alice@contoso.com', sys.argv[2])
    print('LOGGED ON')
except imaplib.IMAP4.error as e:
    print('REFUSED', e)
`, [String(143 + offset), PASSWORD]);
  assert.match(py, /^REFUSED .*ImapMaxConcurrency 2/);

  // Bob has the Global policy: three at once are fine.
  const bobs = await Promise.all([imapLogon('bob'), imapLogon('bob'), imapLogon('bob')]);
  for (const b of bobs) assert.match(b.answer, /^a OK/);
  for (const b of bobs) b.client.close();

  // PopMaxConcurrency 0: no POP3 session for alice at all, with the reason.
  const pop = await python(`
import poplib, sys
c = poplib.POP3('127.0.0.1', int(sys.argv[1]))
c.user('alice@contoso.com')
try:
    c.pass_(sys.argv[2])
    print('LOGGED ON')
except poplib.error_proto as e:
    print('REFUSED', e)
`, [String(110 + offset), PASSWORD]);
  assert.match(pop, /^REFUSED b'-ERR \[IN-USE\] Too many POP3 sessions for this user \(PopMaxConcurrency 0 of throttling policy Two IMAP\)/);

  // One session ends: a new one gets its place.
  assert.match(await command(first.client, 'z', 'LOGOUT'), /^z OK/);
  await eventually(async () => {
    const again = await imapLogon('alice');
    again.client.close();
    return /^a OK/.test(again.answer);
  }, 5000, 200);
  second.client.close();
});

test('a tiny IMAP4 budget slows a busy client down, does not lock it out, and it recovers', async (t) => {
  // No burst, and ten milliseconds of server time per second: each command waits until the time
  // its predecessor cost has recharged (a NOOP of 0.3 ms: 30 ms).
  await ok('New-ThrottlingPolicy', 'Tiny budget', '-ImapMaxBurst', '0', '-ImapRechargeRate', '36000');
  await ok('Set-ThrottlingPolicyAssociation', 'carol', '-ThrottlingPolicy', 'Tiny budget');
  await applied();

  const bob = await imapLogon('bob');
  assert.match(bob.answer, /^a OK/);
  await command(bob.client, 's', 'SELECT INBOX');
  const carol = await imapLogon('carol');
  assert.match(carol.answer, /^a OK/);
  await command(carol.client, 's', 'SELECT INBOX');

  const free = await busy(bob.client, 2000);
  const throttled = await busy(carol.client, 2000);
  // Every throttled command was answered OK (busy() checks), only later.
  assert.ok(throttled >= 2, `carol got ${throttled} answers in 2 s`);
  // Generous: the unthrottled count drops a lot on a busy machine, the throttled one far more.
  assert.ok(throttled * 2 < free, `carol ${throttled} NOOPs in 2 s, bob ${free}`);

  // Left alone, the budget recharges: the next command is answered without a wait.
  await new Promise((r) => setTimeout(r, 5000));
  const start = Date.now();
  assert.match(await command(carol.client, 'r', 'NOOP'), /^r OK/);
  // How long it took is reported, not asserted: on a loaded machine any bound on elapsed time
  // fails for other reasons. That a rested budget adds no wait is test/auth/budget.test.ts's
  // (on a fake clock).
  const recovered = Date.now() - start;

  // A change to the policy applies to the open session at once.
  await ok('Set-ThrottlingPolicy', 'Tiny budget', '-ImapRechargeRate', 'Unlimited');
  await applied();
  const relieved = await busy(carol.client, 2000);
  t.diagnostic(`NOOPs in 2 s: unthrottled ${free}, tiny budget ${throttled}, after Unlimited ${relieved}; first command after a 5 s pause ${recovered} ms`);
  assert.ok(relieved > throttled * 2, `after the change carol got ${relieved} answers in 2 s (before: ${throttled})`);
  bob.client.close();
  carol.client.close();
});

test('a tiny POP3 budget slows that user\'s POP3 client the same way', async (t) => {
  await ok('New-ThrottlingPolicy', 'Tiny POP budget', '-PopMaxBurst', '0', '-PopRechargeRate', '36000');
  await ok('Set-ThrottlingPolicyAssociation', 'erin', '-ThrottlingPolicy', 'Tiny POP budget');
  await applied();
  const logon = async (user: string) => {
    const c = new LineClient(await LineClient.connect(110 + offset, false));
    assert.match(await c.line(), /^\+OK/);
    c.send(`USER ${user}@contoso.com`);
    assert.match(await c.line(), /^\+OK/);
    c.send(`PASS ${PASSWORD}`);
    assert.match(await c.line(10_000), /^\+OK/);
    return c;
  };
  const count = async (c: LineClient) => {
    const end = Date.now() + 2000;
    let n = 0;
    while (Date.now() < end) {
      c.send('NOOP');
      assert.match(await c.line(30_000), /^\+OK/);
      n++;
    }
    return n;
  };
  const bob = await logon('bob');
  const erin = await logon('erin');
  const free = await count(bob);
  const throttled = await count(erin);
  t.diagnostic(`POP3 NOOPs in 2 s: unthrottled ${free}, tiny budget ${throttled}`);
  assert.ok(throttled >= 2, `erin got ${throttled} answers in 2 s`);
  assert.ok(throttled * 2 < free, `erin ${throttled} NOOPs in 2 s, bob ${free}`);
  bob.close();
  erin.close();
});

test('MessageRateLimit: submissions past the rate get a temporary error; other users are not counted with them', async () => {
  await ok('New-ThrottlingPolicy', 'Two per minute', '-MessageRateLimit', '2');
  await ok('Set-Mailbox', 'dave', '-ThrottlingPolicy', 'Two per minute');
  await applied();
  const send = (user: string) => python(`
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.starttls(context=ssl._create_unverified_context())
s.login(sys.argv[2] + '@contoso.com', sys.argv[3])
for i in range(3):
    try:
        s.sendmail(sys.argv[2] + '@contoso.com', ['bob@contoso.com'], 'From: %s@contoso.com\\r\\nTo: bob@contoso.com\\r\\nSubject: rate %d\\r\\n\\r\\nx\\r\\n' % (sys.argv[2], i))
        print('SENT', i)
    except smtplib.SMTPSenderRefused as e:
        print('REFUSED', i, e.smtp_code, e.smtp_error.decode())
s.quit()
`, [String(587 + offset), user, PASSWORD]);
  const dave = (await send('dave')).trim().split('\n');
  assert.deepEqual(dave.slice(0, 2), ['SENT 0', 'SENT 1']);
  assert.match(dave[2]!, /^REFUSED 2 450 4\.7\.0 Message submission rate for this user has exceeded the configured limit \(MessageRateLimit 2 per minute of throttling policy Two per minute\)/);
  assert.deepEqual((await send('alice')).trim().split('\n'), ['SENT 0', 'SENT 1', 'SENT 2']);
});

test('the throttling cmdlets refuse what Exchange refuses and what Mailroom cannot do', async () => {
  const refused = async (pattern: RegExp, name: string, ...args: string[]) => {
    const r = await cmdlet(name, ...args);
    assert.notEqual(r.status, 0, `${name} ${args.join(' ')} was accepted`);
    assert.match(r.out, pattern);
  };
  await refused(/RecipientRateLimit: Mailroom does not support it/, 'New-ThrottlingPolicy', 'Recipients', '-RecipientRateLimit', '100');
  await refused(/one Global policy/, 'New-ThrottlingPolicy', 'Second global', '-ThrottlingPolicyScope', 'Global');
  await ok('New-ThrottlingPolicy', 'Contoso', '-ThrottlingPolicyScope', 'Organization', '-ImapMaxConcurrency', '40');
  await refused(/already an Organization policy \(Contoso\)/, 'New-ThrottlingPolicy', 'Other org', '-ThrottlingPolicyScope', 'Organization');
  await refused(/only Regular policies are associated/, 'Set-ThrottlingPolicyAssociation', 'bob', '-ThrottlingPolicy', 'Contoso');
  await refused(/There is no throttling policy 'Nope'/, 'Set-ThrottlingPolicyAssociation', 'bob', '-ThrottlingPolicy', 'Nope');
  await refused(/1 mailbox\(es\) are associated with 'Two per minute'/, 'Remove-ThrottlingPolicy', 'Two per minute');
  const global = (JSON.parse(await ok('Get-ThrottlingPolicy', '--json')) as { Name: string; ThrottlingPolicyScope: string }[]).find((p) => p.ThrottlingPolicyScope === 'Global')!;
  await refused(/Global throttling policy cannot be removed/, 'Remove-ThrottlingPolicy', global.Name);
  await refused(/the Global policy has nothing to inherit/, 'Set-ThrottlingPolicy', global.Name, '-PopMaxBurst', '$null');
  await refused(/ImapRechargeRate must be from 1/, 'Set-ThrottlingPolicy', 'Contoso', '-ImapRechargeRate', '0');

  // The Global policy keeps a change; the Organization policy's own values come first for everyone without a Regular one.
  await ok('Set-ThrottlingPolicy', global.Name, '-PopMaxConcurrency', '12');
  const after = (JSON.parse(await ok('Get-ThrottlingPolicy', global.Name, '--json')) as Record<string, unknown>[])[0]!;
  assert.equal(after.PopMaxConcurrency, 12);
  const associations = JSON.parse(await ok('Get-ThrottlingPolicyAssociation', '--json')) as { Identity: string; ThrottlingPolicyId: string | null; EffectivePolicy: string }[];
  assert.deepEqual(associations.find((a) => a.Identity === 'Bob Kelly'), { Identity: 'Bob Kelly', ThrottlingPolicyId: null, EffectivePolicy: 'Contoso' });

  await ok('Set-ThrottlingPolicyAssociation', 'dave', '-ThrottlingPolicy', '$null');
  await ok('Remove-ThrottlingPolicy', 'Two per minute');
  const names = (JSON.parse(await ok('Get-ThrottlingPolicy', '--json')) as { Name: string }[]).map((p) => p.Name);
  assert.ok(!names.includes('Two per minute'));
});
