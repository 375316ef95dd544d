// /metrics of a real `mailroom start` (a front-end process with the web, a back-end process
// with the mailboxes: the figures of both) after real traffic: an IMAP4 session that logs on and
// fetches, a submission on 587 delivered to a local mailbox, and one for a remote recipient that
// waits in the outbound queue because its smart host refuses connections. Nothing here feeds the
// metrics itself: every figure asserted is one the services counted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { Browser, send } from './client.ts';

const PASSWORD = 'Metrics-Pass-2026';
const data = tempDataDir('mailroom-metrics-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer;

function metric(body: string, name: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const res = await send(`http://127.0.0.1:${80 + offset}/metrics`);
  assert.equal(res.status, 200);
  return res.body;
}

before(async () => {
  offset = await freePortOffset([25, 587, 465, 143, 993, 110, 995, 80, 443, 2525]);
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Alice Wong', 'alice'], ['Bob Kelly', 'bob']], password: PASSWORD, web: true });
  // Remote mail goes through a smart host on a port where nothing listens, so it stays queued.
  const r = mailroom(['New-SendConnector', '-Name', 'Out', '-AddressSpaces', '*', '-DNSRoutingEnabled', '$false', '-SmartHosts', '127.0.0.1', '-Port', '9'], env);
  assert.equal(r.status, 0, r.stderr);
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('/metrics counts what the IMAP4, SMTP and queue services did', async () => {
  const before = await scrape();
  assert.equal(metric(before, 'mailroom_logons_total{protocol="imap",result="ok"}') ?? 0, 0);
  assert.equal(metric(before, 'mailroom_deliveries_total{result="ok"}') ?? 0, 0);

  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true,
    auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  });
  await transport.sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'Local', text: 'Hello Bob.' });
  await transport.sendMail({ from: 'alice@contoso.com', to: 'someone@fabrikam.example', subject: 'Remote', text: 'Hello.' });
  transport.close();

  const bob = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'bob@contoso.com', pass: PASSWORD },
    tls: { rejectUnauthorized: false }, logger: false,
  });
  await bob.connect();
  await bob.mailboxOpen('INBOX');
  const fetched = await bob.fetchOne('1', { envelope: true });
  assert.equal(fetched && fetched.envelope?.subject, 'Local');
  const failed = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'bob@contoso.com', pass: 'Wrong-Pass-2026' },
    tls: { rejectUnauthorized: false }, logger: false,
  });
  await assert.rejects(failed.connect());

  await eventually(async () => metric(await scrape(), 'mailroom_sessions{protocol="IMAP4"}') === 1, 5000);
  const body = await scrape();
  assert.equal(metric(body, 'mailroom_logons_total{protocol="imap",result="ok"}'), 1);
  assert.equal(metric(body, 'mailroom_logons_total{protocol="imap",result="failed"}'), 1);
  assert.ok((metric(body, 'mailroom_command_duration_seconds_count{protocol="imap",command="FETCH"}') ?? 0) >= 1, 'a FETCH was timed');
  assert.ok((metric(body, 'mailroom_command_duration_seconds_count{protocol="imap",command="SELECT"}') ?? 0) >= 1, 'a SELECT was timed');
  assert.equal(metric(body, 'mailroom_deliveries_total{result="ok"}'), 1, 'one local delivery');
  assert.equal(metric(body, 'mailroom_queue_messages'), 1, 'the remote message waits in the queue');
  // The admin center's session list is the back-end process's, shown by the web in the
  // front-end process.
  const admin = new Browser(`https://127.0.0.1:${443 + offset}`);
  assert.equal((await admin.signIn('Administrator@contoso.com', 'Admin-Pass-2026')).status, 303);
  const sessions = (await admin.get('/ecp/sessions')).body;
  assert.match(sessions, /bob@contoso\.com/);
  assert.match(sessions, /IMAP4/);
  await bob.logout();
});
