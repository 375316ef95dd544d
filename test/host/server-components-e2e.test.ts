// Set-ServerComponentState against a running `mailroom start`, with real clients: python's
// imaplib, poplib and smtplib are turned away with a temporary error while a component is
// Inactive (or Draining), the sessions opened before go on, the server takes clients again
// without a restart, and the states survive one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { cmdletCommand } from '../../src/cli/run.ts';
import { effectiveStates } from '../../src/config/server-components.ts';
import { componentStateEntries } from '../../src/directory/component-states.ts';
import { Directory } from '../../src/directory/directory.ts';
import { LineClient } from '../frontend/line-client.ts';
import { python } from '../frontend/python.ts';
import { configurationApplied, directoryRevision, eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const PASSWORD = 'Comp-Pass-2026';
const data = tempDataDir('mailroom-components-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer | undefined;

function admin(...args: string[]): { stdout: string; stderr: string } {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

// Each probe is one new client connection and prints what the client made of the server.
const IMAP_PROBE = `
import imaplib, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2] == 'tls'
try:
    if tls:
        c = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ssl._create_unverified_context())
    else:
        c = imaplib.IMAP4('127.0.0.1', port)
    c.login('alice@contoso.com', sys.argv[3])
    typ, data = c.select('INBOX')
    print('OK', typ)
    c.logout()
except Exception as e:
    print('REFUSED', type(e).__name__, e)
`;
const POP_PROBE = `
import poplib, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2] == 'tls'
try:
    if tls:
        c = poplib.POP3_SSL('127.0.0.1', port, context=ssl._create_unverified_context())
    else:
        c = poplib.POP3('127.0.0.1', port)
    c.user('bob@contoso.com')
    c.pass_(sys.argv[3])
    print('OK', c.stat())
    c.quit()
except Exception as e:
    print('REFUSED', type(e).__name__, e)
`;
const SMTP_PROBE = `
import smtplib, sys
try:
    s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
    s.ehlo('probe.example')
    print('OK', s.noop()[0])
    s.quit()
except smtplib.SMTPConnectError as e:
    print('REFUSED', e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPServerDisconnected as e:
    print('REFUSED disconnected', e)
`;

const imap = (tls = false) => python(IMAP_PROBE, [String((tls ? 993 : 143) + offset), tls ? 'tls' : 'plain', PASSWORD]);
const pop = (tls = false) => python(POP_PROBE, [String((tls ? 995 : 110) + offset), tls ? 'tls' : 'plain', PASSWORD]);
const smtp = () => python(SMTP_PROBE, [String(25 + offset)]);

/** Waits until the running server has applied a change (it polls the directory 4 times a second). */
async function until(probe: () => Promise<string>, pattern: RegExp): Promise<string> {
  let last = '';
  await eventually(async () => pattern.test((last = await probe())), 10_000, 100).catch(() => {
    throw new Error(`never matched ${pattern}; last answer: ${last}`);
  });
  return last;
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Alice Wong', 'alice'], ['Bob Kelly', 'bob']], password: PASSWORD });
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  await dir.updateSettings('ImapSettings', { LoginType: 'PlainTextLogin' }, 'MAIL01');
  await dir.updateSettings('PopSettings', { LoginType: 'PlainTextLogin' }, 'MAIL01');
  await dir.close();
  delete process.env.MAILROOM_DATA;
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

/** An IMAP4 session logged on and a folder selected, kept open across the change. */
async function openImap(): Promise<LineClient> {
  const c = new LineClient(await LineClient.connect(143 + offset, false));
  assert.match(await c.line(), /^\* OK/);
  c.send(`a LOGIN alice@contoso.com ${PASSWORD}`);
  assert.match(await c.line(10_000), /^a OK/);
  return c;
}

async function imapCommand(c: LineClient, tag: string, command: string): Promise<string> {
  c.send(`${tag} ${command}`);
  for (;;) {
    const line = await c.line(10_000);
    if (line.startsWith(`${tag} `)) return line;
  }
}

test('ImapProxy and PopProxy Inactive: new sessions get a temporary error, open ones go on, Active again without a restart', async () => {
  assert.match(await imap(), /^OK OK/);
  assert.match(await pop(), /^OK/);
  const held = await openImap();
  const heldPop = new LineClient(await LineClient.connect(110 + offset, false));
  assert.match(await heldPop.line(), /^\+OK/);
  heldPop.send('USER bob@contoso.com');
  assert.match(await heldPop.line(), /^\+OK/);
  heldPop.send(`PASS ${PASSWORD}`);
  assert.match(await heldPop.line(10_000), /^\+OK/);

  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ImapProxy', '-State', 'Inactive', '-Requester', 'Maintenance');
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'PopProxy', '-State', 'Inactive', '-Requester', 'Maintenance');

  const refused = await until(() => imap(), /^REFUSED/);
  assert.match(refused, /BYE \[UNAVAILABLE\] The IMAP4 service on MAIL01 is offline for maintenance/);
  // Over implicit TLS the client gets the same line once the handshake is done.
  assert.match(await imap(true), /^REFUSED .*BYE \[UNAVAILABLE\]/);
  const popRefused = await until(() => pop(), /^REFUSED/);
  assert.match(popRefused, /-ERR \[SYS\/TEMP\] The POP3 service on MAIL01 is offline for maintenance/);
  assert.match(await pop(true), /^REFUSED .*-ERR \[SYS\/TEMP\]/);
  // SMTP is another component: untouched.
  assert.match(await smtp(), /^OK 250/);

  // The sessions opened before the change finish their work.
  assert.match(await imapCommand(held, 'b', 'SELECT INBOX'), /^b OK/);
  assert.match(await imapCommand(held, 'c', 'NOOP'), /^c OK/);
  heldPop.send('STAT');
  assert.match(await heldPop.line(), /^\+OK 0 0/);
  heldPop.send('QUIT');
  assert.match(await heldPop.line(), /^\+OK/);

  const shown = admin('Get-ServerComponentState', 'MAIL01', '--json').stdout;
  const states = JSON.parse(shown) as { Server: string; Component: string; State: string; Requesters: string[] }[];
  assert.deepEqual(states.map((s) => [s.Component, s.State]), [
    ['ServerWideOffline', 'Active'], ['HubTransport', 'Active'], ['FrontendTransport', 'Active'], ['ImapProxy', 'Inactive'], ['PopProxy', 'Inactive'],
  ]);
  assert.match(states.find((s) => s.Component === 'ImapProxy')!.Requesters[0]!, /^Maintenance: Inactive \(\d{4}-/);

  // A second requester holds the component: Maintenance alone cannot bring it back.
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ImapProxy', '-State', 'Inactive', '-Requester', 'Functional');
  const partial = admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ImapProxy', '-State', 'Active', '-Requester', 'Maintenance');
  assert.match(partial.stderr, /ImapProxy on MAIL01 stays Inactive/);
  await configurationApplied(server!, directoryRevision(data.path));
  assert.match(await imap(), /^REFUSED/);
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ImapProxy', '-State', 'Active', '-Requester', 'Functional');
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'PopProxy', '-State', 'Active', '-Requester', 'Maintenance');
  assert.match(await until(() => imap(), /^OK/), /^OK OK/);
  assert.match(await until(() => pop(), /^OK/), /^OK/);
  assert.match(await imapCommand(held, 'd', 'LOGOUT'), /^d OK/);
});

test('FrontendTransport and HubTransport: SMTP answers 421 4.3.2 to new connections while not Active; an open session sends on', async () => {
  const open = new LineClient(await LineClient.connect(25 + offset, false));
  assert.match(await open.line(), /^220 /);
  open.send('EHLO open.example');
  while (!/^250 /.test(await open.line())) { /* the EHLO lines */ }

  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'HubTransport', '-State', 'Draining', '-Requester', 'Maintenance');
  assert.match(await until(() => smtp(), /^REFUSED/), /^REFUSED 421 4\.3\.2 Service not available.*HubTransport is offline/);

  // The session that was open delivers a message to a mailbox here.
  open.send('MAIL FROM:<partner@fabrikam.example>');
  assert.match(await open.line(), /^250/);
  open.send('RCPT TO:<alice@contoso.com>');
  assert.match(await open.line(), /^250/);
  open.send('DATA');
  assert.match(await open.line(), /^354/);
  open.send('From: partner@fabrikam.example\r\nTo: alice@contoso.com\r\nSubject: sent while draining\r\n\r\nhello\r\n.');
  assert.match(await open.line(10_000), /^250/);
  open.send('QUIT');

  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'HubTransport', '-State', 'Active', '-Requester', 'Maintenance');
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'FrontendTransport', '-State', 'Inactive', '-Requester', 'Maintenance');
  assert.match(await until(() => smtp(), /FrontendTransport/), /^REFUSED 421 4\.3\.2 .*FrontendTransport is offline/);
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'FrontendTransport', '-State', 'Active', '-Requester', 'Maintenance');
  assert.match(await until(() => smtp(), /^OK/), /^OK 250/);
});

test('ServerWideOffline takes every component with it; states survive a restart', async () => {
  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ServerWideOffline', '-State', 'Inactive', '-Requester', 'Maintenance');
  await until(() => imap(), /^REFUSED/);
  assert.match(await pop(), /^REFUSED/);
  assert.match(await smtp(), /^REFUSED 421/);
  const states = JSON.parse(admin('Get-ServerComponentState', '-Identity', 'MAIL01', '--json').stdout) as { Component: string; State: string }[];
  assert.ok(states.every((s) => s.State === 'Inactive'), JSON.stringify(states));

  await server!.stop();
  server = await startMailroom(['start'], env);
  assert.match(await imap(), /^REFUSED .*UNAVAILABLE/);
  assert.match(await smtp(), /^REFUSED 421/);

  admin('Set-ServerComponentState', 'MAIL01', '-Component', 'ServerWideOffline', '-State', 'Active', '-Requester', 'Maintenance');
  assert.match(await until(() => imap(), /^OK/), /^OK OK/);
  assert.match(await pop(), /^OK/);
  assert.match(await smtp(), /^OK 250/);
});

test('Set-ServerComponentState refuses what Mailroom cannot do', async () => {
  // In this process (the running server's directory): six more process starts would add nothing.
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  const refuse = async (args: string[], pattern: RegExp) => {
    const out = new PassThrough();
    await assert.rejects(cmdletCommand('Set-ServerComponentState', ['MAIL01', ...args], out, dir), pattern, args.join(' '));
  };
  try {
    await refuse(['-Component', 'OwaProxy', '-State', 'Inactive', '-Requester', 'Maintenance'], /does not support OwaProxy/);
    await refuse(['-Component', 'NoSuchThing', '-State', 'Inactive', '-Requester', 'Maintenance'], /there is no component 'NoSuchThing'/);
    await refuse(['-Component', 'ImapProxy', '-State', 'Draining', '-Requester', 'Maintenance'], /Draining applies to HubTransport and FrontendTransport only/);
    await refuse(['-Component', 'ImapProxy', '-State', 'Inactive', '-Requester', 'Maintenance', '-LocalOnly'], /-LocalOnly: Mailroom does not support it/);
    await refuse(['-Component', 'ImapProxy', '-State', 'Inactive', '-Requester', 'Nobody'], /Requester/);
    await refuse(['-Component', 'ImapProxy', '-State', 'Inactive'], /Requester/);
    const states = effectiveStates(await componentStateEntries(dir, 'MAIL01'));
    assert.ok(Object.values(states).every((s) => s === 'Active'), 'nothing refused was stored');
  } finally {
    await dir.close();
    delete process.env.MAILROOM_DATA;
  }
});
