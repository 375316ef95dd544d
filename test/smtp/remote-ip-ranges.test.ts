// RemoteIPRanges: receive connectors that share a binding serve the clients their ranges match,
// the most specific match first (as Exchange chooses); a client no connector covers gets 554 and
// the connection closes. Clients come from other loopback addresses (127.0.0.2, …), which Linux
// gives every socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, startSmtpServer, type SmtpTestServer } from './harness.ts';
import { SmtpTestClient } from './smtp-client.ts';

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer();
  // A scanner at 127.0.0.2 that can neither authenticate nor be listed in SPF: a connector of its own on port 25.
  await s.dir.newReceiveConnector('MAIL01', 'Scanner MAIL01', {
    Bindings: ['127.0.0.1:25'], RemoteIPRanges: ['127.0.0.2'], PermissionGroups: ['AnonymousUsers'], Banner: '220 scanner connector ready',
    RejectUnauthenticatedInternalSenders: false, TarpitInterval: 0,
  });
  await s.dir.newReceiveConnector('MAIL01', 'Partners MAIL01', {
    Bindings: ['127.0.0.1:26'], RemoteIPRanges: ['10.0.0.0/8', '192.0.2.0(255.255.255.0)'], PermissionGroups: ['AnonymousUsers'],
  });
  await s.reload();
});
after(async () => {
  await s.stop();
});

async function greeting(port: number, from: string): Promise<{ client: SmtpTestClient; text: string }> {
  const client = await SmtpTestClient.connect(port, { localAddress: from });
  return { client, text: (await client.read()).text };
}

async function spoof(client: SmtpTestClient, subject: string): Promise<string> {
  await client.command('EHLO scanner.contoso.com');
  assert.equal((await client.command('MAIL FROM:<alice@contoso.com>')).code, 250);
  assert.equal((await client.command('RCPT TO:<bob@contoso.com>')).code, 250);
  assert.equal((await client.command('DATA')).code, 354);
  return (await client.command(`${message({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject })}.`)).text;
}

test('on a shared binding the client\'s address picks the connector: the one naming it beats the one covering everything', async () => {
  const scanner = await greeting(s.ports.inbound, '127.0.0.2');
  assert.equal(scanner.text, '220 scanner connector ready');
  assert.match(await spoof(scanner.client, 'From the scanner'), /^250 /, 'the scanner\'s connector lets it send as alice');
  scanner.client.close();

  const other = await greeting(s.ports.inbound, '127.0.0.1');
  assert.match(other.text, /^220 mail01\.contoso\.com Mailroom ESMTP MAIL service ready/);
  assert.match(await spoof(other.client, 'From anyone else'), /^550 5\.7\.1 /, 'Default Frontend still refuses the spoof');
  other.client.close();
  const subjects = (await s.messages('bob')).map((m) => /^Subject: (.*)$/m.exec(m.raw.toString())?.[1]);
  assert.ok(subjects.includes('From the scanner') && !subjects.includes('From anyone else'));
});

test('a client outside every range of the binding\'s connectors gets 554 5.7.1 and the connection closes', async () => {
  const { client, text } = await greeting(26 + s.offset, '127.0.0.1');
  assert.equal(text, '554 5.7.1 Connection from 127.0.0.1 refused: no receive connector here accepts clients from it (RemoteIPRanges)');
  await client.waitClosed();
});

test('a change of RemoteIPRanges applies to the next connection', async () => {
  await s.dir.updateReceiveConnector('Scanner MAIL01', { RemoteIPRanges: ['127.0.0.3'] });
  await s.reload();
  const moved = await greeting(s.ports.inbound, '127.0.0.2');
  assert.match(moved.text, /^220 mail01\.contoso\.com Mailroom ESMTP/);
  moved.client.close();
  const scanner = await greeting(s.ports.inbound, '127.0.0.3');
  assert.equal(scanner.text, '220 scanner connector ready');
  scanner.client.close();
  await s.dir.updateReceiveConnector('Partners MAIL01', { RemoteIPRanges: ['127.0.0.0/8'] });
  await s.reload();
  const partner = await greeting(26 + s.offset, '127.0.0.1');
  assert.match(partner.text, /^220 /);
  partner.client.close();
});

test('entries that are not addresses, ranges, CIDR or address(mask) are refused when set', async () => {
  await assert.rejects(s.dir.updateReceiveConnector('Scanner MAIL01', { RemoteIPRanges: ['10.0.0.0/33'] }), /RemoteIPRanges.*got '10\.0\.0\.0\/33'/);
  await assert.rejects(s.dir.newReceiveConnector('MAIL01', 'Scanner MAIL01', {}), /already exists/);
});
