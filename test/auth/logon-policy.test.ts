import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  advertisedMechanisms,
  authenticationAllowed,
  imapLoginDisabled,
  isBlockedAccountName,
  LOGIN_TYPES,
  plainTextCredentialsAllowed,
  type AuthMethod,
  type LoginType,
} from '../../src/auth/logon-policy.ts';
import { parseLogonName } from '../../src/auth/login-name.ts';

const METHODS = ['LOGIN-COMMAND', 'USER-PASS', 'PLAIN', 'LOGIN', 'SCRAM-SHA-256'] as const;

// Every LoginType x TLS x method, written out rather than computed so the table is the spec.
// Columns follow METHODS: IMAP LOGIN, POP3 USER/PASS, SASL PLAIN, SASL LOGIN, SCRAM-SHA-256.
const MATRIX: [LoginType, boolean, [boolean, boolean, boolean, boolean, boolean]][] = [
  ['PlainTextLogin', false, [true, true, true, true, true]],
  ['PlainTextLogin', true, [true, true, true, true, true]],
  ['PlainTextAuthentication', false, [false, false, false, false, true]],
  ['PlainTextAuthentication', true, [true, true, true, true, true]],
  ['SecureLogin', false, [false, false, false, false, false]],
  ['SecureLogin', true, [true, true, true, true, true]],
];

test('authenticationAllowed matrix: every LoginType x TLS x method', () => {
  assert.equal(MATRIX.length, LOGIN_TYPES.length * 2);
  for (const [loginType, tls, expected] of MATRIX) {
    METHODS.forEach((method, i) => {
      const decision = authenticationAllowed(loginType, tls, method);
      const label = `${loginType} tls=${tls} ${method}`;
      assert.equal(decision.allowed, expected[i], label);
      if (!decision.allowed) {
        assert.equal(decision.code, 'tls-required', label);
        assert.match(decision.reason, /TLS/, label);
      }
      // SASL names are case-insensitive on the wire.
      if (method === 'PLAIN' || method === 'SCRAM-SHA-256') {
        assert.equal(authenticationAllowed(loginType, tls, method.toLowerCase()).allowed, expected[i], `${label} (lower case)`);
      }
    });
  }
});

test('SecureLogin and PlainTextAuthentication give different reasons before TLS', () => {
  const secure = authenticationAllowed('SecureLogin', false, 'SCRAM-SHA-256');
  const plainAuth = authenticationAllowed('PlainTextAuthentication', false, 'PLAIN');
  assert.ok(!secure.allowed && !plainAuth.allowed);
  if (!secure.allowed && !plainAuth.allowed) assert.notEqual(secure.reason, plainAuth.reason);
});

test('unknown mechanisms are unsupported whatever the policy', () => {
  for (const loginType of LOGIN_TYPES) {
    for (const tls of [false, true]) {
      for (const method of ['NTLM', 'GSSAPI', 'XOAUTH2', 'SCRAM-SHA-256-PLUS', ''] as AuthMethod[]) {
        const decision = authenticationAllowed(loginType, tls, method);
        assert.equal(decision.allowed, false);
        if (!decision.allowed) assert.equal(decision.code, 'unsupported');
      }
    }
  }
});

test('plainTextCredentialsAllowed and imapLoginDisabled', () => {
  const rows: [LoginType, boolean, boolean][] = [
    ['PlainTextLogin', false, true],
    ['PlainTextLogin', true, true],
    ['PlainTextAuthentication', false, false],
    ['PlainTextAuthentication', true, true],
    ['SecureLogin', false, false],
    ['SecureLogin', true, true],
  ];
  for (const [loginType, tls, allowed] of rows) {
    assert.equal(plainTextCredentialsAllowed(loginType, tls), allowed, `${loginType} ${tls}`);
    // LOGINDISABLED is exactly "LOGIN would be refused" (Exchange: SecureLogin on 143 before STARTTLS).
    assert.equal(imapLoginDisabled(loginType, tls), !allowed, `${loginType} ${tls}`);
    assert.equal(authenticationAllowed(loginType, tls, 'LOGIN-COMMAND').allowed, allowed);
  }
});

test('advertisedMechanisms lists only what would be accepted', () => {
  const rows: [LoginType, boolean, string[]][] = [
    ['PlainTextLogin', false, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']],
    ['PlainTextLogin', true, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']],
    ['PlainTextAuthentication', false, ['SCRAM-SHA-256']],
    ['PlainTextAuthentication', true, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']],
    ['SecureLogin', false, []],
    ['SecureLogin', true, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']],
  ];
  for (const [loginType, tls, expected] of rows) {
    assert.deepEqual(advertisedMechanisms(loginType, tls), expected, `${loginType} ${tls}`);
  }
  // A protocol layer can narrow and order the list (IMAP without LOGIN, SCRAM first).
  assert.deepEqual(advertisedMechanisms('SecureLogin', true, ['SCRAM-SHA-256', 'PLAIN']), ['SCRAM-SHA-256', 'PLAIN']);
  assert.deepEqual(advertisedMechanisms('PlainTextLogin', false, ['PLAIN', 'NTLM']), ['PLAIN']);
});

test('isBlockedAccountName: Anonymous and Guest in every form', () => {
  const rows: [string, boolean][] = [
    ['Guest', true],
    ['guest', true],
    ['GUEST', true],
    ['  Guest ', true],
    ['Anonymous', true],
    ['CONTOSO\\Guest', true],
    ['contoso\\anonymous', true],
    ['guest@contoso.com', true],
    ['Guest@例子.公司', true],
    ['NT AUTHORITY\\ANONYMOUS LOGON', true],
    ['CONTOSO\\alice\\guest', true], // delegation to the Guest mailbox
    ['alice@contoso.com\\guest@contoso.com', true],
    ['guest@', true], // unparsable, but still the name Guest
    ['alice', false],
    ['Administrator', false], // flagged in the directory, not by name
    ['CONTOSO\\Administrator', false],
    ['guests', false],
    ['guest.user@contoso.com', false],
    ['alice@guest.com', false],
    ['GUEST\\alice', false], // a domain called GUEST
    ['CONTOSO\\alice\\sales', false],
    ['', false],
  ];
  for (const [name, blocked] of rows) assert.equal(isBlockedAccountName(name), blocked, JSON.stringify(name));
  assert.equal(isBlockedAccountName(parseLogonName('CONTOSO\\Guest')), true);
  assert.equal(isBlockedAccountName(parseLogonName('alice')), false);
});
