// Automatic client setup built from the published settings: Thunderbird autoconfig, Microsoft
// Autodiscover (POX), the Apple configuration profile, and Get-ClientDnsRecords. Documents are
// read back with Python's XML and plist parsers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { connect } from 'node:net';
import { cmdletCommand } from '../../src/cli/run.ts';
import { AUTOCONFIG_BODY_LIMIT, AUTODISCOVER_BODY_LIMIT } from '../../src/web/routes/client-setup.ts';
import { Browser, send } from './client.ts';
import { cmdlet } from './cmdlets.ts';
import { ALICE_PW, startWebHarness, type WebHarness } from './harness.ts';
import { child, children, fields, parsePlist, parseXml } from './xml.ts';

let h: WebHarness;

before(async () => {
  h = await startWebHarness();
});
after(async () => {
  await h?.close();
});

async function publishAll(): Promise<void> {
  await cmdlet(h.dir, 'Set-ImapSettings', '-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS');
  await cmdlet(h.dir, 'Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:995:SSL');
  await cmdlet(h.dir, 'Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'mail.contoso.com');
}

async function publishNothing(): Promise<void> {
  await cmdlet(h.dir, 'Set-ImapSettings', '-ExternalConnectionSettings', '$null');
  await cmdlet(h.dir, 'Set-PopSettings', '-ExternalConnectionSettings', '$null');
  await cmdlet(h.dir, 'Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$false', '-Fqdn', 'mail01.contoso.com');
}

const autodiscoverRequest = (address: string, schema = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a') =>
  `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>${schema}</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

/** Writes the pieces to the plain HTTP port in turn and returns everything read until the server closes. */
function rawExchange(offset: number, pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(80 + offset, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', (err) => (text ? resolve(text) : reject(err)));
    socket.on('close', () => resolve(text));
    socket.on('connect', () => {
      for (const piece of pieces) socket.write(piece);
      socket.end();
    });
  });
}

describe('Thunderbird autoconfig', () => {
  test('both paths, over HTTP and HTTPS, list every published server with SSL first', async () => {
    await publishAll();
    for (const url of [
      `${h.https}/.well-known/autoconfig/mail/config-v1.1.xml`,
      `${h.http}/.well-known/autoconfig/mail/config-v1.1.xml`,
      `${h.https}/mail/config-v1.1.xml?emailaddress=alice%40contoso.com`,
      `${h.http}/mail/config-v1.1.xml?emailaddress=alice@contoso.com`,
    ]) {
      const res = await send(url);
      assert.equal(res.status, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/xml/);
      const doc = parseXml(res.body);
      assert.equal(doc.tag, 'clientConfig');
      assert.equal(doc.attrs.version, '1.1');
      const provider = child(doc, 'emailProvider');
      assert.equal(provider.attrs.id, 'contoso.com');
      assert.deepEqual(children(provider, 'domain').map((d) => d.text), ['contoso.com']);
      assert.equal(child(provider, 'displayName').text, 'Contoso');
      const incoming = children(provider, 'incomingServer').map((s) => ({ type: s.attrs.type, ...fields(s) }));
      assert.deepEqual(incoming, [
        { type: 'imap', hostname: 'mail.contoso.com', port: '993', socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
        { type: 'imap', hostname: 'mail.contoso.com', port: '143', socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
        { type: 'pop3', hostname: 'mail.contoso.com', port: '995', socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
      ]);
      const outgoing = children(provider, 'outgoingServer').map((s) => ({ type: s.attrs.type, ...fields(s) }));
      assert.deepEqual(outgoing, [
        { type: 'smtp', hostname: 'mail.contoso.com', port: '587', socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' },
      ]);
    }
  });

  test('an address outside the accepted domains is not served', async () => {
    const res = await send(`${h.https}/mail/config-v1.1.xml?emailaddress=someone%40fabrikam.com`);
    assert.equal(res.status, 404);
  });

  test('with nothing published it falls back to the internal settings', async () => {
    await publishNothing();
    const doc = parseXml((await send(`${h.https}/.well-known/autoconfig/mail/config-v1.1.xml`)).body);
    const provider = child(doc, 'emailProvider');
    assert.deepEqual(children(provider, 'incomingServer').map((s) => `${s.attrs.type} ${fields(s).hostname}:${fields(s).port} ${fields(s).socketType}`), [
      'imap mail01.contoso.com:993 SSL', 'imap mail01.contoso.com:143 STARTTLS', 'pop3 mail01.contoso.com:995 SSL', 'pop3 mail01.contoso.com:110 STARTTLS',
    ]);
    assert.deepEqual(children(provider, 'outgoingServer').map((s) => `${fields(s).hostname}:${fields(s).port} ${fields(s).socketType}`), [
      'mail01.contoso.com:465 SSL', 'mail01.contoso.com:587 STARTTLS',
    ]);
  });
});

describe('Autodiscover (POX)', () => {
  test('IMAP, POP3 and SMTP blocks with SPA off, SSL for implicit TLS and Encryption TLS for STARTTLS', async () => {
    await publishAll();
    await cmdlet(h.dir, 'Set-ImapSettings', '-ExternalConnectionSettings', 'mail.contoso.com:143:TLS');
    for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
      const res = await send(`${h.https}${path}`, { method: 'POST', body: autodiscoverRequest('alice@contoso.com'), headers: { 'content-type': 'text/xml' } });
      assert.equal(res.status, 200);
      const doc = parseXml(res.body);
      assert.equal(doc.tag, 'Autodiscover');
      assert.equal(doc.attrs.xmlns, 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006');
      const response = child(doc, 'Response');
      assert.equal(response.attrs.xmlns, 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a');
      assert.equal(child(child(response, 'User'), 'AutoDiscoverSMTPAddress').text, 'alice@contoso.com');
      const account = child(response, 'Account');
      assert.equal(child(account, 'AccountType').text, 'email');
      assert.equal(child(account, 'Action').text, 'settings');
      const protocols = children(account, 'Protocol').map(fields);
      assert.deepEqual(protocols, [
        { Type: 'IMAP', Server: 'mail.contoso.com', Port: '143', DomainRequired: 'off', LoginName: 'alice@contoso.com', SPA: 'off', SSL: 'off', Encryption: 'TLS', AuthRequired: 'on' },
        { Type: 'POP3', Server: 'mail.contoso.com', Port: '995', DomainRequired: 'off', LoginName: 'alice@contoso.com', SPA: 'off', SSL: 'on', Encryption: 'SSL', AuthRequired: 'on' },
        { Type: 'SMTP', Server: 'mail.contoso.com', Port: '587', DomainRequired: 'off', LoginName: 'alice@contoso.com', SPA: 'off', SSL: 'off', Encryption: 'TLS', AuthRequired: 'on', UsePOPAuth: 'off', SMTPLast: 'off' },
      ]);
    }
  });

  test('errors: an address we do not serve, no address, another schema', async () => {
    const errorCode = async (body: string) => {
      const res = await send(`${h.https}/autodiscover/autodiscover.xml`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
      assert.equal(res.status, 200);
      return child(child(child(parseXml(res.body), 'Response'), 'Error'), 'ErrorCode').text;
    };
    assert.equal(await errorCode(autodiscoverRequest('someone@fabrikam.com')), '500');
    assert.equal(await errorCode('<Autodiscover/>'), '600');
    assert.equal(await errorCode(autodiscoverRequest('alice@contoso.com', 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006')), '601');
  });

  test('entities in the request are never expanded', async () => {
    const hostile = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Autodiscover><Request><EMailAddress>&x;@contoso.com</EMailAddress></Request></Autodiscover>`;
    const res = await send(`${h.https}/autodiscover/autodiscover.xml`, { method: 'POST', body: hostile, headers: { 'content-type': 'application/xml' } });
    assert.doesNotMatch(res.body, /root:/);
  });
});

describe('client setup requests are small', () => {
  test('an Autodiscover body over 8 KB is refused with 413, announced or chunked; an autoconfig GET with a body too', async () => {
    const big = autodiscoverRequest('alice@contoso.com').replace('<Request>', `<Request>${' '.repeat(AUTODISCOVER_BODY_LIMIT)}`);
    const announced = await send(`${h.http}/autodiscover/autodiscover.xml`, { method: 'POST', body: big, headers: { 'content-type': 'text/xml' } });
    assert.equal(announced.status, 413);
    const chunked = await rawExchange(h.offset, [
      'POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    ]);
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    const getWithBody = await send(`${h.http}/mail/config-v1.1.xml`, { method: 'GET', body: 'x'.repeat(AUTOCONFIG_BODY_LIMIT + 1) });
    assert.equal(getWithBody.status, 413);
    // Just under the limit is still read.
    const fits = autodiscoverRequest('alice@contoso.com').replace('<Request>', `<Request>${' '.repeat(AUTODISCOVER_BODY_LIMIT - 600)}`);
    assert.ok(Buffer.byteLength(fits) <= AUTODISCOVER_BODY_LIMIT);
    const ok = await send(`${h.http}/autodiscover/autodiscover.xml`, { method: 'POST', body: fits, headers: { 'content-type': 'text/xml' } });
    assert.equal(ok.status, 200);
    assert.equal(child(child(child(parseXml(ok.body), 'Response'), 'User'), 'AutoDiscoverSMTPAddress').text, 'alice@contoso.com');
  });
});

describe('Apple configuration profile', () => {
  test('a com.apple.mail.managed payload with the published IMAP and SMTP servers', async () => {
    await publishAll();
    const b = new Browser(h.https, '127.0.0.30');
    await b.signIn('alice@contoso.com', ALICE_PW);
    const page = await b.get('/options/account/pop-imap');
    assert.match(page.body, /href="\/options\/account\/pop-imap\/mail\.mobileconfig"/);
    const res = await b.get('/options/account/pop-imap/mail.mobileconfig');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-apple-aspen-config');
    assert.match(String(res.headers['content-disposition']), /attachment; filename="alice\.mobileconfig"/);
    const profile = parsePlist(res.body);
    assert.equal(profile.PayloadType, 'Configuration');
    assert.equal(profile.PayloadOrganization, 'Contoso');
    const [mail] = profile.PayloadContent as Record<string, unknown>[];
    assert.deepEqual({
      PayloadType: mail!.PayloadType, EmailAccountType: mail!.EmailAccountType, EmailAddress: mail!.EmailAddress,
      IncomingMailServerHostName: mail!.IncomingMailServerHostName, IncomingMailServerPortNumber: mail!.IncomingMailServerPortNumber,
      IncomingMailServerUseSSL: mail!.IncomingMailServerUseSSL, IncomingMailServerUsername: mail!.IncomingMailServerUsername,
      IncomingMailServerAuthentication: mail!.IncomingMailServerAuthentication,
      OutgoingMailServerHostName: mail!.OutgoingMailServerHostName, OutgoingMailServerPortNumber: mail!.OutgoingMailServerPortNumber,
      OutgoingMailServerUseSSL: mail!.OutgoingMailServerUseSSL, OutgoingPasswordSameAsIncomingPassword: mail!.OutgoingPasswordSameAsIncomingPassword,
    }, {
      PayloadType: 'com.apple.mail.managed', EmailAccountType: 'EmailTypeIMAP', EmailAddress: 'alice@contoso.com',
      IncomingMailServerHostName: 'mail.contoso.com', IncomingMailServerPortNumber: 993, IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: 'alice@contoso.com', IncomingMailServerAuthentication: 'EmailAuthPassword',
      OutgoingMailServerHostName: 'mail.contoso.com', OutgoingMailServerPortNumber: 587, OutgoingMailServerUseSSL: true,
      OutgoingPasswordSameAsIncomingPassword: true,
    });
    assert.ok(!('IncomingPassword' in mail!), 'no password in the profile');
    // Downloading again gives the same identifiers, so the device replaces the account.
    const again = parsePlist((await b.get('/options/account/pop-imap/mail.mobileconfig')).body);
    assert.equal(again.PayloadUUID, profile.PayloadUUID);
  });

  test('the profile needs a signed-in user', async () => {
    const res = await send(`${h.https}/options/account/pop-imap/mail.mobileconfig`);
    assert.equal(res.status, 303);
  });
});

describe('Get-ClientDnsRecords', () => {
  async function run(...args: string[]): Promise<string> {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString('utf8')));
    assert.equal(await cmdletCommand('Get-ClientDnsRecords', args, out, h.dir), 0);
    return text;
  }
  const record = (text: string, name: string, type: string) =>
    text.split('\n').filter((l) => l.startsWith(`${name} `) && new RegExp(`\\sIN ${type}\\s`).test(l)).map((l) => l.replace(/\s+;.*$/, '').split(/\s+/).slice(4).join(' '));

  test('SRV (RFC 6186, RFC 8314), autoconfig and autodiscover, MX, SPF and the DKIM note, from the published settings', async () => {
    await publishAll();
    await cmdlet(h.dir, 'Set-ReceiveConnector', 'Client Frontend Secure MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'mail.contoso.com');
    const text = await run('-Domain', 'contoso.com');
    assert.deepEqual(record(text, '_imaps._tcp.contoso.com.', 'SRV'), ['0 1 993 mail.contoso.com.']);
    assert.deepEqual(record(text, '_imap._tcp.contoso.com.', 'SRV'), ['10 1 143 mail.contoso.com.']);
    assert.deepEqual(record(text, '_pop3s._tcp.contoso.com.', 'SRV'), ['20 1 995 mail.contoso.com.']);
    assert.deepEqual(record(text, '_pop3._tcp.contoso.com.', 'SRV'), ['0 0 0 .'], 'not offered');
    assert.deepEqual(record(text, '_submissions._tcp.contoso.com.', 'SRV'), ['0 1 465 mail.contoso.com.']);
    assert.deepEqual(record(text, '_submission._tcp.contoso.com.', 'SRV'), ['10 1 587 mail.contoso.com.']);
    assert.deepEqual(record(text, 'autoconfig.contoso.com.', 'CNAME'), ['mail.contoso.com.']);
    assert.deepEqual(record(text, 'autodiscover.contoso.com.', 'CNAME'), ['mail.contoso.com.']);
    assert.deepEqual(record(text, '_autodiscover._tcp.contoso.com.', 'SRV'), ['0 0 443 mail.contoso.com.']);
    assert.deepEqual(record(text, 'contoso.com.', 'MX'), ['10 mail01.contoso.com.']);
    assert.deepEqual(record(text, 'contoso.com.', 'TXT'), ['"v=spf1 mx -all"']);
    assert.match(text, /; DKIM: no signing key for contoso\.com yet\. Create one with: mailroom New-DkimSigningKey -Domain contoso\.com/);
    // Once a key exists its TXT record is printed, split into strings of at most 255 octets.
    await cmdlet(h.dir, 'New-DkimSigningKey', 'contoso.com');
    const signed = await run();
    const dkim = signed.split('\n').find((l) => /^mr\d{6}\w*\._domainkey\.contoso\.com\. /.test(l));
    assert.ok(dkim, signed);
    assert.match(dkim, /TXT\s+"v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+"( "[A-Za-z0-9+/=]+")*/);
    assert.ok(dkim.match(/"([^"]*)"/g)!.every((q) => q.length - 2 <= 255));
    await cmdlet(h.dir, 'Set-ReceiveConnector', 'Client Frontend Secure MAIL01', '-AdvertiseClientSettings', '$false');
  });

  test('every accepted domain when -Domain is omitted; an unknown domain is an error', async () => {
    await cmdlet(h.dir, 'New-AcceptedDomain', 'Fabrikam', '-DomainName', 'fabrikam.com');
    const text = await run();
    assert.ok(record(text, '_imaps._tcp.fabrikam.com.', 'SRV').length === 1);
    assert.ok(record(text, '_imaps._tcp.contoso.com.', 'SRV').length === 1);
    await assert.rejects(cmdletCommand('Get-ClientDnsRecords', ['-Domain', 'example.org'], new PassThrough(), h.dir), /not an accepted domain/);
  });
});
