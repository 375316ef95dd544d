// Which server a process is: --server, MAILROOM_SERVER, the host name (whole, or its first
// label), the only server; anything else refused with the list of servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseServer, serverForHostName, ServerIdentityError } from '../../src/directory/server-identity.ts';

const MAIL01 = { name: 'MAIL01', fqdn: 'mail01.contoso.com' };
const MAIL02 = { name: 'MAIL02', fqdn: 'ex2.branch.contoso.com' };
const both = [MAIL01, MAIL02];

test('the flag wins over MAILROOM_SERVER, which wins over the host name; names and FQDNs in any case', () => {
  assert.deepEqual(chooseServer(both, { flag: 'mail02', environment: 'MAIL01', host: 'mail01' }), { server: MAIL02, source: 'flag' });
  assert.deepEqual(chooseServer(both, { environment: 'EX2.branch.contoso.com', host: 'mail01' }), { server: MAIL02, source: 'environment' });
  assert.throws(() => chooseServer(both, { flag: 'MAIL09' }), /--server: there is no server 'MAIL09' in this organization \(servers: MAIL01 \(mail01\.contoso\.com\), MAIL02/);
  assert.throws(() => chooseServer(both, { environment: 'MAIL09' }), /MAILROOM_SERVER: there is no server 'MAIL09'/);
});

test('the host name: a server\'s FQDN or name, else its first label against names and the FQDNs\' first labels', () => {
  assert.equal(chooseServer(both, { host: 'mail01.contoso.com' }).server, MAIL01);
  assert.equal(chooseServer(both, { host: 'MAIL01' }).source, 'host name');
  assert.equal(chooseServer(both, { host: 'mail01.corp.example' }).server, MAIL01);
  assert.equal(chooseServer(both, { host: 'ex2' }).server, MAIL02);
  assert.equal(serverForHostName(both, 'localhost'), undefined);
  assert.equal(serverForHostName([MAIL01, { name: 'MAIL01B', fqdn: 'mail01.fabrikam.com' }], 'mail01.example'), undefined, 'two matches are no answer');
});

test('one server is this one whatever the host name; two with a host name that is neither are refused with the list', () => {
  assert.deepEqual(chooseServer([MAIL01], { host: 'laptop' }), { server: MAIL01, source: 'only server' });
  assert.throws(() => chooseServer(both, { host: 'laptop' }), (err: Error) => {
    assert.ok(err instanceof ServerIdentityError);
    assert.match(err.message, /The organization has 2 servers \(MAIL01 \(mail01\.contoso\.com\), MAIL02 \(ex2\.branch\.contoso\.com\)\) and the host name 'laptop' is none of them/);
    assert.match(err.message, /--server NAME \(mailroom start\) or MAILROOM_SERVER=NAME/);
    return true;
  });
  assert.throws(() => chooseServer([], { host: 'laptop' }), /No organization here yet/);
});
