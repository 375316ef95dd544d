// The receive connectors over real sockets and real TLS: greetings, EHLO extensions per
// connector and per TLS state, AUTH only after TLS, limits (connections, protocol errors,
// recipients, hops, idle and session time), the AUTH tarpit, and live reconfiguration.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { receiveLogFolder } from '../../src/smtp/receive-log.ts';
import { message, PASSWORDS, startSmtpServer, type SmtpTestServer } from './harness.ts';
import { plainAuth, SmtpTestClient } from './smtp-client.ts';
import { eventually } from '../helpers.ts';
import { dripUntilClosed } from '../support/drip.ts';

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer();
});
after(async () => {
  await s.stop();
});

async function open(port: number, tls = false): Promise<SmtpTestClient> {
  const c = await SmtpTestClient.connect(port, { tls });
  const greeting = await c.read();
  assert.equal(greeting.code, 220);
  return c;
}

async function submissionSession(): Promise<SmtpTestClient> {
  const c = await open(s.ports.submission);
  await c.command('EHLO client.test');
  assert.equal((await c.starttls()).code, 220);
  await c.command('EHLO client.test');
  assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
  return c;
}

const extensions = (ehlo: { lines: string[] }) => ehlo.lines.slice(1).map((l) => l.slice(4));

describe('greeting and extensions', () => {
  test('the greeting follows Exchange\'s wording with Mailroom\'s name and the connector Fqdn', async () => {
    const c = await SmtpTestClient.connect(s.ports.submission);
    const greeting = await c.read();
    assert.match(greeting.text, /^220 mail01\.contoso\.com Mailroom ESMTP MAIL service ready at \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
    c.close();
  });

  test('587 before TLS: STARTTLS and SIZE, no AUTH (BasicAuthRequireTLS); after TLS: AUTH PLAIN LOGIN, no STARTTLS', async () => {
    const c = await open(s.ports.submission);
    const before = await c.command('EHLO client.test');
    assert.equal(before.lines[0], '250-mail01.contoso.com Hello [127.0.0.1]');
    assert.deepEqual(extensions(before), ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'STARTTLS', 'SIZE 10485760', 'BINARYMIME', 'CHUNKING']);
    const refused = await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`);
    assert.equal(refused.code, 500, 'AUTH is not available before TLS');
    const mail = await c.command('MAIL FROM:<alice@contoso.com>');
    assert.equal(mail.text, '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM');
    await c.starttls();
    const after = await c.command('EHLO client.test');
    assert.deepEqual(extensions(after), ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'AUTH PLAIN LOGIN SCRAM-SHA-256', 'SIZE 10485760', 'BINARYMIME', 'CHUNKING']);
    c.close();
  });

  test('465 speaks TLS from the first byte and offers AUTH at once', async () => {
    const c = await open(s.ports.secure, true);
    assert.ok(c.encrypted);
    const ehlo = await c.command('EHLO client.test');
    assert.ok(extensions(ehlo).includes('AUTH PLAIN LOGIN SCRAM-SHA-256'));
    assert.ok(!extensions(ehlo).includes('STARTTLS'));
    assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    c.close();
  });

  test('25 takes anonymous mail and offers STARTTLS', async () => {
    const c = await open(s.ports.inbound);
    const ehlo = await c.command('EHLO sender.example');
    assert.ok(extensions(ehlo).includes('STARTTLS'));
    assert.equal((await c.command('MAIL FROM:<someone@example.org>')).code, 250);
    c.close();
  });

  test('SIZE is the smallest of MaxMessageSize and the organization limit', async () => {
    await s.setConnector('submission', { MaxMessageSize: 5 * 1024 * 1024 });
    let c = await open(s.ports.submission);
    assert.ok(extensions(await c.command('EHLO a.test')).includes(`SIZE ${5 * 1024 * 1024}`));
    c.close();
    await s.setConnector('submission', { MaxMessageSize: 36 * 1024 * 1024 });
    await s.setTransport({ MaxSendSize: 20 * 1024 * 1024 });
    c = await open(s.ports.submission);
    assert.ok(extensions(await c.command('EHLO a.test')).includes(`SIZE ${20 * 1024 * 1024}`));
    c.close();
    await s.setTransport({ MaxSendSize: 10 * 1024 * 1024 });
  });

  test('extensions follow the connector: SizeEnabled, EnhancedStatusCodesEnabled, PipeliningEnabled', async () => {
    await s.setConnector('inbound', { SizeEnabled: 'EnabledWithoutValue', EnhancedStatusCodesEnabled: false, PipeliningEnabled: false });
    const c = await open(s.ports.inbound);
    const ehlo = extensions(await c.command('EHLO a.test'));
    assert.ok(ehlo.includes('SIZE'));
    assert.ok(!ehlo.includes('PIPELINING'));
    assert.ok(!ehlo.includes('ENHANCEDSTATUSCODES'));
    await c.command('MAIL FROM:<x@example.org>');
    const relay = await c.command('RCPT TO:<x@example.net>');
    assert.equal(relay.text, '550 SMTP; Unable to relay recipient in non-accepted domain', 'no enhanced code when not advertised');
    c.close();
    await s.setConnector('inbound', { SizeEnabled: 'Enabled', EnhancedStatusCodesEnabled: true, PipeliningEnabled: true });
  });
});

describe('limits', () => {
  test('MaxRecipientsPerMessage: 452 4.5.3 past the limit', async () => {
    await s.setConnector('inbound', { MaxRecipientsPerMessage: 2 });
    const c = await open(s.ports.inbound);
    await c.command('EHLO a.test');
    await c.command('MAIL FROM:<x@example.org>');
    assert.equal((await c.command('RCPT TO:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<carol@contoso.com>')).text, '452 4.5.3 Too many recipients');
    c.close();
    await s.setConnector('inbound', { MaxRecipientsPerMessage: 200 });
  });

  test('MaxProtocolErrors: the connection closes once the client makes one error too many', async () => {
    await s.setConnector('inbound', { MaxProtocolErrors: 2 });
    const c = await open(s.ports.inbound);
    assert.equal((await c.command('BOGUS')).code, 500);
    assert.equal((await c.command('MAIL FROM:<x@example.org>')).code, 503, 'MAIL before EHLO is a bad sequence');
    assert.equal((await c.command('ALSO BOGUS')).code, 500);
    const closing = await c.read();
    assert.equal(closing.text, '421 4.7.0 Too many errors on this connection, closing transmission channel');
    await c.waitClosed();
    await s.setConnector('inbound', { MaxProtocolErrors: 5 });
  });

  test('MaxInboundConnectionPerSource: 421 4.3.2 for one connection too many from one address', async () => {
    await s.setConnector('inbound', { MaxInboundConnectionPerSource: 2 });
    const a = await open(s.ports.inbound);
    const b = await open(s.ports.inbound);
    const c = await SmtpTestClient.connect(s.ports.inbound);
    assert.equal((await c.read()).text, '421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel');
    await c.waitClosed();
    a.close();
    await eventually(async () => {
      const d = await SmtpTestClient.connect(s.ports.inbound);
      const ok = (await d.read()).code === 220;
      d.close();
      return ok;
    });
    b.close();
    await s.setConnector('inbound', { MaxInboundConnectionPerSource: 20 });
  });

  test('MaxInboundConnection bounds the connector as a whole', async () => {
    await s.setConnector('submission', { MaxInboundConnection: 1 });
    try {
      // Sessions of earlier tests may still be closing on the server side.
      let a: SmtpTestClient | undefined;
      await eventually(async () => {
        const c = await SmtpTestClient.connect(s.ports.submission);
        if ((await c.read()).code === 220) a = c;
        else c.close();
        return a !== undefined;
      });
      const b = await SmtpTestClient.connect(s.ports.submission);
      assert.equal((await b.read()).code, 421);
      a!.close();
    } finally {
      await s.setConnector('submission', { MaxInboundConnection: 5000 });
    }
  });

  test('ConnectionInactivityTimeout closes an idle session', async () => {
    await s.setConnector('inbound', { ConnectionInactivityTimeout: 1 });
    const c = await open(s.ports.inbound);
    const bye = await c.read(5000);
    assert.match(bye.text, /^421 4\.4\.2 /);
    await c.waitClosed();
    await s.setConnector('inbound', { ConnectionInactivityTimeout: 300 });
  });

  test('ConnectionInactivityTimeout: bytes of a command line that never ends do not keep a session (slow drip)', async () => {
    // One byte every 50 ms, a timeout of 1 s: if any byte restarted the clock, only
    // ConnectionTimeout (10 minutes) would end this.
    await s.setConnector('inbound', { ConnectionInactivityTimeout: 1 });
    try {
      const c = await open(s.ports.inbound);
      await dripUntilClosed(c, 'EHLO slow.example.net', 50, 10_000);
      assert.match((await c.read()).text, /^421 4\.4\.2 /);
    } finally {
      await s.setConnector('inbound', { ConnectionInactivityTimeout: 300 });
    }
  });

  test('ConnectionInactivityTimeout counts from the last command, and message data counts as activity', async () => {
    await s.setConnector('inbound', { ConnectionInactivityTimeout: 1 });
    try {
      const c = await open(s.ports.inbound);
      assert.equal((await c.command('EHLO a.test')).code, 250);
      assert.equal((await c.command('MAIL FROM:<sender@fabrikam.com>')).code, 250);
      assert.equal((await c.command('RCPT TO:<alice@contoso.com>')).code, 250);
      assert.equal((await c.command('DATA')).code, 354);
      // Message lines for twice the timeout, each well inside it.
      const until = Date.now() + 2000;
      c.write('Subject: slow but steady\r\n\r\n');
      while (Date.now() < until) {
        c.write('another line of the message\r\n');
        await new Promise((r) => setTimeout(r, 100));
      }
      const reply = await c.command('.');
      assert.equal(reply.code, 250, reply.text);
      c.close();
    } finally {
      await s.setConnector('inbound', { ConnectionInactivityTimeout: 300 });
    }
  });

  test('ConnectionTimeout ends even a busy session', async () => {
    await s.setConnector('inbound', { ConnectionTimeout: 1 });
    const c = await open(s.ports.inbound);
    // Busy all along: a NOOP every 100 ms (pacing, not a wait) until the server ends the session.
    // One that never did would run into the test's timeout.
    for (;;) {
      const r = await c.command('NOOP');
      if (r.code === 421) {
        assert.equal(r.text, '421 4.4.1 Connection timed out (ConnectionTimeout), closing transmission channel');
        break;
      }
      assert.equal(r.code, 250);
      await new Promise((r2) => setTimeout(r2, 100));
    }
    await s.setConnector('inbound', { ConnectionTimeout: 600 });
  });

  test('MaxHopCount: a message with too many Received fields is refused as a loop', async () => {
    await s.setConnector('inbound', { MaxHopCount: 3 });
    const c = await open(s.ports.inbound);
    await c.command('EHLO a.test');
    await c.command('MAIL FROM:<x@example.org>');
    await c.command('RCPT TO:<bob@contoso.com>');
    assert.equal((await c.command('DATA')).code, 354);
    const received = Array.from({ length: 3 }, (_, i) => `Received: from hop${i}.example by hop${i + 1}.example; Thu, 26 Nov 2026 10:00:0${i} +0000`).join('\r\n');
    const reply = await c.command(`${received}\r\n${message({ from: 'x@example.org', to: 'bob@contoso.com' })}.`);
    assert.equal(reply.text, '554 5.4.6 Hop count exceeded - possible mail loop (4 Received headers, limit 3)');
    c.close();
    await s.setConnector('inbound', { MaxHopCount: 30 });
  });

  test('MaxLocalHopCount: a message that passed through this server too often is refused as a loop; other hops do not count', async () => {
    await s.setConnector('inbound', { MaxLocalHopCount: 2 });
    const send = async (byHosts: string[]) => {
      const c = await open(s.ports.inbound);
      await c.command('EHLO a.test');
      await c.command('MAIL FROM:<x@example.org>');
      await c.command('RCPT TO:<bob@contoso.com>');
      assert.equal((await c.command('DATA')).code, 354);
      const received = byHosts.map((by, i) => `Received: from hop${i}.example ([192.0.2.${i + 1}])\r\n by ${by} (Mailroom) with ESMTP; Thu, 26 Nov 2026 10:00:0${i} +0000`).join('\r\n');
      const reply = await c.command(`${received}\r\n${message({ from: 'x@example.org', to: 'bob@contoso.com' })}.`);
      c.close();
      return reply.text;
    };
    // Two earlier passes through this server (the connector's Fqdn, any case): the third is refused.
    assert.equal(await send(['MAIL01.contoso.com', 'relay.example', 'mail01.contoso.com']),
      '554 5.4.6 Hop count exceeded - possible mail loop through this server (3 of its own Received headers, limit 2)');
    // Five hops elsewhere and one here stay under both limits.
    assert.match(await send(['a.example', 'b.example', 'mail01.contoso.com', 'c.example', 'd.example', 'e.example']), /^250 /);
    await s.setConnector('inbound', { MaxLocalHopCount: 8 });
  });

  test('AuthTarpitInterval delays the answer to a failed AUTH, not a good one', async () => {
    await s.setConnector('secure', { AuthTarpitInterval: 3 });
    const failing = await open(s.ports.secure, true);
    const good = await open(s.ports.secure, true);
    await failing.command('EHLO a.test');
    await good.command('EHLO a.test');
    const sent = Date.now();
    let refusedYet = false;
    const refused = failing.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', 'not-her-password')}`).then((reply) => {
      refusedYet = true;
      return { reply, ms: Date.now() - sent };
    });
    // Asked after the failed one, and answered while that one is still held back.
    assert.equal((await good.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    assert.equal(refusedYet, false, 'a good AUTH is not held back');
    const { reply, ms } = await refused;
    assert.equal(reply.text, '535 5.7.3 Authentication unsuccessful');
    assert.ok(ms >= 2950, `failed AUTH answered after ${ms} ms`);
    failing.close();
    good.close();
    await s.setConnector('secure', { AuthTarpitInterval: 0 });
  });
});

describe('live reconfiguration', () => {
  test('Banner and Fqdn changes reach the next connection', async () => {
    await s.setConnector('inbound', { Banner: '220 Contoso mail gateway', Fqdn: 'mx.contoso.com' });
    const c = await SmtpTestClient.connect(s.ports.inbound);
    assert.equal((await c.read()).text, '220 Contoso mail gateway');
    assert.equal((await c.command('EHLO a.test')).lines[0], '250-mx.contoso.com Hello [127.0.0.1]');
    c.close();
    await s.setConnector('inbound', { Banner: null, Fqdn: 'mail01.contoso.com' });
  });

  test('a binding change opens the new port and closes the old one; Enabled $false stops the connector', async () => {
    const moved = s.ports.inbound + 1;
    try {
      await s.setConnector('inbound', { Bindings: ['127.0.0.1:26'] });
      const c = await open(moved).catch((err: Error) => {
        throw new Error(`${err.message}; ${s.logLines.filter((l) => /cannot listen|listener/.test(l)).join('\n')}`);
      });
      c.close();
      await assert.rejects(SmtpTestClient.connect(s.ports.inbound), /ECONNREFUSED/);
    } finally {
      await s.setConnector('inbound', { Bindings: ['127.0.0.1:25'] });
    }
    (await open(s.ports.inbound)).close();
    await assert.rejects(SmtpTestClient.connect(moved), /ECONNREFUSED/);

    const open1 = await submissionSession();
    await s.setConnector('submission', { Enabled: false });
    await assert.rejects(SmtpTestClient.connect(s.ports.submission), /ECONNREFUSED/);
    assert.equal((await open1.command('NOOP')).code, 421, 'open sessions are told the service is going away');
    await s.setConnector('submission', { Enabled: true });
    (await open(s.ports.submission)).close();
  });

  test('a limit change applies to sessions already open', async () => {
    const c = await open(s.ports.inbound);
    await c.command('EHLO a.test');
    await c.command('MAIL FROM:<x@example.org>');
    await s.setConnector('inbound', { MaxRecipientsPerMessage: 1 });
    assert.equal((await c.command('RCPT TO:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 452);
    c.close();
    await s.setConnector('inbound', { MaxRecipientsPerMessage: 200 });
  });

  test('the service describes what it listens on', () => {
    const text = s.service.describe();
    assert.ok(text.includes(`127.0.0.1:${s.ports.inbound}`));
    assert.ok(text.includes(`127.0.0.1:${s.ports.submission}`));
    assert.ok(text.includes(`127.0.0.1:${s.ports.secure}`));
  });
});

test('ProtocolLoggingLevel Verbose writes Exchange\'s receive log; credentials never reach it', async () => {
  await s.setConnector('secure', { ProtocolLoggingLevel: 'Verbose' });
  const c = await open(s.ports.secure, true);
  await c.command('EHLO logged.example');
  assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
  await c.command('QUIT');
  await c.waitClosed();
  await s.setConnector('secure', { ProtocolLoggingLevel: 'None' });
  const folder = receiveLogFolder(s.data);
  const text = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8')).join('');
  assert.match(text, /^#Software: Mailroom\r\n#Log-type: SMTP Receive Protocol Log\r\n#Date: .*\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n/);
  const lines = text.split('\r\n').filter((l) => l.includes('Client Frontend Secure') && !l.startsWith('#'));
  const events = lines.map((l) => l.split(',').slice(6, 8).join(','));
  assert.equal(events[0], '+,');
  assert.match(events[1]!, /^>,"220 mail01\.contoso\.com Mailroom ESMTP MAIL service ready at /);
  assert.deepEqual(events.slice(2, 5), ['<,EHLO logged.example', '>,250-mail01.contoso.com Hello [127.0.0.1]', '>,250-PIPELINING']);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[^,]+,MAIL01\\Client Frontend Secure MAIL01,\w+,0,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,\+,,$/);
  assert.ok(lines.some((l) => /,<,AUTH PLAIN \/\* secured \*\/,/.test(l)), 'the AUTH argument is replaced');
  assert.ok(!text.includes(plainAuth('alice@contoso.com', PASSWORDS.alice)), 'no credentials in the log');
  assert.ok(lines.some((l) => /,-,,Local$/.test(l)));
  assert.ok(lines.some((l) => /,\*,alice@contoso\.com,authenticated$/.test(l)));
});

test('the receive log: client text cannot become a spreadsheet formula; a failed AUTH logs a tag, not the name typed', async () => {
  await s.setConnector('secure', { ProtocolLoggingLevel: 'Verbose' });
  const pasted = 'Winter-Secret-2026!';
  const c = await open(s.ports.secure, true);
  await c.command('EHLO sender.example');
  // Lines that are formulas from their first character, as a client may send any line.
  await c.command(`=HYPERLINK("http://x.example","y")`);
  await c.command('@SUM(1+1)\x07');
  assert.equal((await c.command(`AUTH PLAIN ${plainAuth(pasted, 'whatever')}`)).code, 535);
  await c.command('QUIT');
  await c.waitClosed();
  await s.setConnector('secure', { ProtocolLoggingLevel: 'None' });
  const folder = receiveLogFolder(s.data);
  const text = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8')).join('');
  assert.ok(text.includes(`,<,"'=HYPERLINK(""http://x.example"",""y"")",`), text.slice(-1500));
  assert.ok(text.includes(`,<,"'@SUM(1+1)\ufffd",`), text.slice(-1500));
  assert.ok(!text.includes(pasted), 'the typed user name is in the log');
  assert.match(text, /,\*,Win\.\.\.#[0-9a-f]{8},Inbound authentication failed\r\n/);
  // Exchange's own event column stays as it is.
  assert.match(text, /,-,,Local\r\n/);
});

test('a client that talks before the greeting gets nothing delivered and a clean refusal', async () => {
  const socket = netConnect({ host: '127.0.0.1', port: s.ports.inbound });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write('EHLO early.test\r\n');
  // Until the server closes the connection or has sent a whole 421 line.
  const text = await new Promise<string>((resolve) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
      if (/^421 .*\r\n/m.test(got)) resolve(got);
    });
    socket.on('close', () => resolve(got));
  });
  socket.destroy();
  assert.match(text, /^421 /m);
});
