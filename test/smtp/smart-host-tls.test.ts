// A smart host with credentials, end to end with a real `mailroom start`: the password goes only
// to a server whose certificate the system trusts and names the host (here a test CA given to
// the server in NODE_EXTRA_CA_CERTS, as an admin would add a private CA); a trusted certificate
// for another name than -TlsDomain gets nothing. test/smtp/outbound.test.ts covers the untrusted
// and the plain-text cases in-process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { credentialsFor } from '../../src/auth/credentials.ts';
import { Directory } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { newSendConnector } from '../../src/smtp/queue/send-connectors.ts';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { startFakeMx, type FakeMx } from './fake-mx.ts';

const PASSWORD = 'Alice-Pass-2026';
const RELAY = { user: 'relay@contoso.com', pass: 'Relay-Pass-2026' };
const data = tempDataDir('mailroom-smarthost-tls-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer;
let relay: FakeMx;

before(async () => {
  offset = await freePortOffset([25, 587, 465, 2525]);
  // The smart host's certificate, trusted by the server process as a CA of its own.
  const trusted = await createSelfSignedCertificate(['127.0.0.1']);
  const caFile = join(data.path, 'test-ca.pem');
  writeFileSync(caFile, trusted.certPem);
  relay = await startFakeMx({ certPem: trusted.certPem, keyPem: trusted.keyPem, auth: RELAY });

  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  try {
    await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
    await dir.setServiceStartupType('MAIL01', 'web', 'Disabled');
    for (const [name, port] of [['Default Frontend MAIL01', 25], ['Client Frontend MAIL01', 587], ['Client Frontend Secure MAIL01', 465]] as const) {
      await dir.updateReceiveConnector(name, { Bindings: [`127.0.0.1:${port}`] });
    }
    await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: await credentialsFor(PASSWORD) });
    const viaRelay = { SmartHosts: ['127.0.0.1'], Port: relay.port, SmartHostAuthMechanism: 'BasicAuthRequireTLS', AuthenticationUserName: RELAY.user, AuthenticationPassword: RELAY.pass };
    await newSendConnector(dir, 'Via provider', { ...viaRelay, AddressSpaces: ['fabrikam.example'] });
    // The same trusted certificate, but the connector expects the provider's name on it.
    await newSendConnector(dir, 'Via named provider', { ...viaRelay, AddressSpaces: ['named.example'], RequireTLS: true, TlsAuthLevel: 'DomainValidation', TlsDomain: 'smtp.provider.example' });
  } finally {
    await dir.close();
    if (previous === undefined) delete process.env.MAILROOM_DATA;
    else process.env.MAILROOM_DATA = previous;
  }
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  server = await startMailroom(['start'], { ...env, NODE_EXTRA_CA_CERTS: caFile });
});

after(async () => {
  await server?.stop();
  await relay?.close();
  data.cleanup();
});

const submit = (to: string, subject: string) =>
  nodemailer.createTransport({
    host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  }).sendMail({ from: 'alice@contoso.com', to, subject, text: 'x' });

test('a smart host whose certificate is trusted and names it gets the password and the message', async () => {
  await submit('partner@fabrikam.example', 'Through a trusted relay');
  await eventually(() => relay.received.length > 0, 10_000);
  assert.deepEqual(relay.received[0]!.to, ['partner@fabrikam.example']);
  assert.equal(relay.received[0]!.secure, true);
  assert.equal(relay.received[0]!.user, RELAY.user);
});

test('a trusted certificate for another name than -TlsDomain gets no password; Get-Queue says why', async () => {
  const attempts = relay.authAttempts;
  await submit('partner@named.example', 'Wrong name');
  let queue = '';
  await eventually(() => {
    const r = mailroom(['Get-Queue'], env);
    queue = r.stdout;
    return /LastError\s+: TLS:/.test(queue);
  }, 15_000, 250);
  assert.match(queue, /Identity\s+: MAIL01\\named\.example/);
  assert.match(queue, /LastError\s+: TLS: 127\.0\.0\.1:\d+ did not present a trusted certificate for smtp\.provider\.example; the send connector needs one before it sends the smart host password/);
  assert.equal(relay.authAttempts, attempts, 'no AUTH was sent');
  assert.ok(!relay.received.some((m) => m.to.includes('partner@named.example')));
});
