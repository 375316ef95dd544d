// EnforceCertificateErrors on a real `mailroom start`: with a POP/IMAP certificate that does not
// name the server, STLS and STARTTLS are refused with the reason and the implicit-TLS ports
// close the connection; once X509CertificateName names what the certificate covers (or the
// setting is $false), TLS and logons work again, without a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const data = tempDataDir('mailroom-enforce-cert-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer;

function admin(...args: string[]): void {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

/** Connects in the clear, reads the greeting, sends `command` and gives the first reply line. */
function plainReply(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ host: '127.0.0.1', port });
    let buffer = '';
    let sent = false;
    socket.setTimeout(10_000, () => reject(new Error(`no reply to ${command}`)));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const lines = buffer.split('\r\n');
      if (!sent && lines.length > 1) {
        sent = true;
        buffer = '';
        socket.write(`${command}\r\n`);
      } else if (sent && lines.length > 1) {
        socket.destroy();
        resolve(lines[0]!);
      }
    });
  });
}

/** A TLS handshake on an implicit-TLS port: the served certificate's subject, or the failure. */
function handshake(port: number): Promise<{ ok: true; subject: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.setTimeout(10_000, () => {
      socket.destroy();
      resolve({ ok: false, error: 'timeout' });
    });
    socket.once('secureConnect', () => {
      const subject = socket.getPeerCertificate().subject?.CN ?? '';
      socket.destroy();
      resolve({ ok: true, subject: String(subject) });
    });
    socket.once('error', (err) => resolve({ ok: false, error: err.message }));
  });
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [], password: 'Cert-Pass-2026' });
  admin('Set-Service', 'smtp', '-StartupType', 'Disabled');
  // A certificate for another name becomes the POP and IMAP certificate, as in Exchange.
  admin('New-ExchangeCertificate', '-DomainName', 'legacy.fabrikam.com', '-Services', 'POP,IMAP');
  admin('Set-PopSettings', '-EnforceCertificateErrors', '$true');
  admin('Set-ImapSettings', '-EnforceCertificateErrors', '$true');
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('a certificate that does not name the server: STLS, STARTTLS and implicit TLS are refused with the reason', async () => {
  const stls = await plainReply(110 + offset, 'STLS');
  assert.match(stls, /^-ERR \[SYS\/PERM\] TLS is refused because the certificate does not cover mail01\.contoso\.com \(it names legacy\.fabrikam\.com\) \(EnforceCertificateErrors is \$true\)\.$/);
  const starttls = await plainReply(143 + offset, 'a STARTTLS');
  assert.match(starttls, /^a NO \[UNAVAILABLE\] TLS is refused because the certificate does not cover mail01\.contoso\.com/);
  for (const port of [995 + offset, 993 + offset]) {
    const r = await handshake(port);
    assert.equal(r.ok, false, `port ${port}`);
  }
  // The server is still up and says why in its log.
  assert.match(server.output(), /TLS connection refused/);
});

test('X509CertificateName naming the certificate, or EnforceCertificateErrors $false, lets TLS through again', async () => {
  admin('Set-PopSettings', '-X509CertificateName', 'legacy.fabrikam.com');
  await eventually(async () => (await handshake(995 + offset)).ok, 10_000);
  const pop = await handshake(995 + offset);
  assert.deepEqual(pop, { ok: true, subject: 'legacy.fabrikam.com' });
  assert.match(await plainReply(110 + offset, 'STLS'), /^\+OK Begin TLS negotiation/);
  // IMAP still enforces, until the admin turns it off.
  assert.equal((await handshake(993 + offset)).ok, false);
  admin('Set-ImapSettings', '-EnforceCertificateErrors', '$false');
  await eventually(async () => (await handshake(993 + offset)).ok, 10_000);
  assert.match(await plainReply(143 + offset, 'a STARTTLS'), /^a OK Begin TLS negotiation now\./);
});
