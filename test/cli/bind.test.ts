import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdletSyntaxError, type BoundValue, type ParameterSpec } from '../../src/cli/types.ts';
import { bindArguments, COMMON_PARAMETERS, isParameterLike } from '../../src/cli/bind.ts';
import { splitCommandLine } from '../../src/cli/syntax.ts';
import { prng } from '../support/random.ts';


const MB = 1024 ** 2;

// Shaped like the Exchange cmdlets the documentation examples use.
const POP_SETTINGS: ParameterSpec[] = [
  { name: 'Server', kind: 'string', help: 'Server to configure.' },
  { name: 'LoginType', kind: 'enum', values: ['PlainTextLogin', 'PlainTextAuthentication', 'SecureLogin'], help: '' },
  { name: 'ExternalConnectionSettings', kind: 'string', multi: true, help: '' },
  { name: 'InternalConnectionSettings', kind: 'string', multi: true, help: '' },
  { name: 'AuthenticatedConnectionTimeout', kind: 'timespan', help: '' },
  { name: 'PreAuthenticatedConnectionTimeout', kind: 'timespan', help: '' },
  { name: 'MaxConnections', kind: 'int', allowUnlimited: true, help: '' },
  { name: 'MaxCommandSize', kind: 'int', help: '' },
  { name: 'Banner', kind: 'string', help: '' },
  { name: 'ProtocolLogEnabled', kind: 'bool', help: '' },
  { name: 'EnableGSSAPIAndNTLMAuth', kind: 'bool', help: '' },
  { name: 'X509CertificateName', kind: 'string', help: '' },
];

const RECEIVE_CONNECTOR: ParameterSpec[] = [
  { name: 'Identity', kind: 'string', positional: 0, required: true, help: '' },
  { name: 'AdvertiseClientSettings', kind: 'bool', help: '' },
  { name: 'Fqdn', kind: 'string', help: '' },
  { name: 'MaxMessageSize', kind: 'size', allowUnlimited: true, help: '' },
  { name: 'ConnectionTimeout', kind: 'timespan', help: '' },
  { name: 'Comment', kind: 'string', help: '' },
  { name: 'Bindings', kind: 'string', multi: true, help: '' },
  { name: 'AuthMechanism', kind: 'enum', multi: true, values: ['None', 'Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS'], help: '' },
  { name: 'Enabled', kind: 'bool', help: '' },
  { name: 'MaxInboundConnection', kind: 'int', allowUnlimited: true, help: '' },
  { name: 'RemoteIPRanges', kind: 'string', multi: true, aliases: ['RemoteIPs'], help: '' },
  { name: 'Port', kind: 'int', multi: true, help: '' },
];

const MAILBOX: ParameterSpec[] = [
  { name: 'Identity', kind: 'string', positional: 0, required: true, help: '' },
  { name: 'DisplayName', kind: 'string', positional: 1, help: '' },
  { name: 'EmailAddresses', kind: 'string', multi: true, help: '' },
  { name: 'Password', kind: 'secret', help: '' },
  { name: 'ProhibitSendQuota', kind: 'size', allowUnlimited: true, help: '' },
  { name: 'Force', kind: 'switch', help: '' },
  { name: 'Server', kind: 'string', help: '' },
];

const CMDLETS = { POP_SETTINGS, RECEIVE_CONNECTOR, MAILBOX };
type CmdletName = keyof typeof CMDLETS;

// ---------------------------------------------------------------------------------------------
// Binding: argv as bash passes it (quotes removed, unquoted $true gone) or as splitCommandLine gives it

const bindings: [CmdletName, string[], Record<string, BoundValue>][] = [
  // The Exchange documentation examples.
  ['POP_SETTINGS', ['-LoginType', 'SecureLogin'], { LoginType: 'SecureLogin' }],
  ['POP_SETTINGS', ['-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}'], { ExternalConnectionSettings: ['Dublin01.Contoso.com:995:SSL'] }],
  ['POP_SETTINGS', ['-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS'], { ExternalConnectionSettings: ['mail.contoso.com:993:SSL', 'mail.contoso.com:143:TLS'] }],
  ['RECEIVE_CONNECTOR', ['Client Frontend MAIL01', '-AdvertiseClientSettings', '-Fqdn', 'Dublin01.Contoso.com'], { Identity: 'Client Frontend MAIL01', AdvertiseClientSettings: true, Fqdn: 'Dublin01.Contoso.com' }],
  ['POP_SETTINGS', ['-Banner', 'Hello, world'], { Banner: 'Hello, world' }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', '36MB'], { Identity: 'x', MaxMessageSize: 36 * MB }],
  ['POP_SETTINGS', ['-AuthenticatedConnectionTimeout', '00:45:00'], { AuthenticatedConnectionTimeout: 2700 }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=a@x.com}'], { Identity: 'x', EmailAddresses: { add: ['a@x.com'], remove: [] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add="a@x.com"}'], { Identity: 'x', EmailAddresses: { add: ['a@x.com'], remove: [] } }],

  // Names: case, prefixes, aliases, the colon form.
  ['POP_SETTINGS', ['-logintype', 'securelogin'], { LoginType: 'SecureLogin' }],
  ['POP_SETTINGS', ['-LOGINTYPE:PlainTextAuthentication'], { LoginType: 'PlainTextAuthentication' }],
  ['POP_SETTINGS', ['-Login', 'SecureLogin'], { LoginType: 'SecureLogin' }],
  ['POP_SETTINGS', ['-Ext', 'a:995:SSL'], { ExternalConnectionSettings: ['a:995:SSL'] }],
  ['RECEIVE_CONNECTOR', ['x', '-RemoteIPs', '10.0.0.0/8'], { Identity: 'x', RemoteIPRanges: ['10.0.0.0/8'] }],
  ['RECEIVE_CONNECTOR', ['x', '-RemoteIP', '10.0.0.0/8'], { Identity: 'x', RemoteIPRanges: ['10.0.0.0/8'] }],
  ['RECEIVE_CONNECTOR', ['x', '\u2013Fqdn', 'a.com'], { Identity: 'x', Fqdn: 'a.com' }],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn:', 'a.com'], { Identity: 'x', Fqdn: 'a.com' }],
  ['POP_SETTINGS', ['-Banner:-ERR go away'], { Banner: '-ERR go away' }],
  ['POP_SETTINGS', ['-Banner:a:b'], { Banner: 'a:b' }],

  // Positional values.
  ['RECEIVE_CONNECTOR', ['-Fqdn', 'a.com', 'Client Frontend MAIL01'], { Identity: 'Client Frontend MAIL01', Fqdn: 'a.com' }],
  ['RECEIVE_CONNECTOR', ['-Identity', 'x'], { Identity: 'x' }],
  ['MAILBOX', ['alice', 'Alice Smith'], { Identity: 'alice', DisplayName: 'Alice Smith' }],
  ['MAILBOX', ['-Identity', 'alice', 'Alice Smith'], { Identity: 'alice', DisplayName: 'Alice Smith' }],
  ['MAILBOX', ['Alice Smith', '-Identity', 'alice'], { Identity: 'alice', DisplayName: 'Alice Smith' }],

  // Booleans, including what bash leaves of an unquoted $true.
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', '$true'], { Identity: 'x', Enabled: true }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', '$False'], { Identity: 'x', Enabled: false }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', 'false'], { Identity: 'x', Enabled: false }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', '0'], { Identity: 'x', Enabled: false }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', '1'], { Identity: 'x', Enabled: true }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled:$false'], { Identity: 'x', Enabled: false }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled:', '$false'], { Identity: 'x', Enabled: false }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled'], { Identity: 'x', Enabled: true }],
  ['RECEIVE_CONNECTOR', ['-Enabled', '-Identity', 'x'], { Identity: 'x', Enabled: true }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', '$null'], { Identity: 'x', Enabled: null }],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', ''], { Identity: 'x', Enabled: null }],
  ['MAILBOX', ['x', '-Force'], { Identity: 'x', Force: true }],
  ['MAILBOX', ['x', '-Force:$false'], { Identity: 'x', Force: false }],
  ['MAILBOX', ['x', '-Force:true'], { Identity: 'x', Force: true }],

  // $null and empty strings.
  ['RECEIVE_CONNECTOR', ['x', '-Comment', '$null'], { Identity: 'x', Comment: null }],
  ['RECEIVE_CONNECTOR', ['x', '-Comment', ''], { Identity: 'x', Comment: '' }],
  ['RECEIVE_CONNECTOR', ['x', '-Comment:'], { Identity: 'x', Comment: '' }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', ''], { Identity: 'x', MaxMessageSize: null }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', '$NULL'], { Identity: 'x', MaxMessageSize: null }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '$null'], { Identity: 'x', Bindings: null }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', ''], { Identity: 'x', Bindings: null }],

  // Sizes, time spans, integers, enums.
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', '36 MB (37,748,736 bytes)'], { Identity: 'x', MaxMessageSize: 37748736 }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', 'Unlimited'], { Identity: 'x', MaxMessageSize: 'unlimited' }],
  ['RECEIVE_CONNECTOR', ['x', '-ConnectionTimeout', '1.00:00:00'], { Identity: 'x', ConnectionTimeout: 86400 }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxInboundConnection', '2147483647'], { Identity: 'x', MaxInboundConnection: 2147483647 }],
  ['RECEIVE_CONNECTOR', ['x', '-MaxInboundConnection', 'unlimited'], { Identity: 'x', MaxInboundConnection: 'unlimited' }],
  ['POP_SETTINGS', ['-MaxCommandSize', '-5'], { MaxCommandSize: -5 }],
  ['RECEIVE_CONNECTOR', ['x', '-AuthMechanism', 'tls,basicauth'], { Identity: 'x', AuthMechanism: ['Tls', 'BasicAuth'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Port', '25,587'], { Identity: 'x', Port: [25, 587] }],
  ['RECEIVE_CONNECTOR', ['x', '-Port', '-1,2'], { Identity: 'x', Port: [-1, 2] }],

  // Multi-valued: every way an admin writes a list, and what bash makes of it.
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a,b'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a,b}'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a, b}'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{"a","b"}'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', "{'a', 'b'}"], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '@("a","b")'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '@()'], { Identity: 'x', Bindings: [] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{}'], { Identity: 'x', Bindings: [] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a,', 'b'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a', ',b'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a', ',', 'b'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a,', 'b}'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a,', 'b,', 'c}', '-Fqdn', 'f'], { Identity: 'x', Bindings: ['a', 'b', 'c'], Fqdn: 'f' }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings:{a,', 'b}'], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{"a b", c}'], { Identity: 'x', Bindings: ['a b', 'c'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{"a,b"}'], { Identity: 'x', Bindings: ['a,b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', "{'It''s'}"], { Identity: 'x', Bindings: ["It's"] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', ' a , b '], { Identity: 'x', Bindings: ['a', 'b'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a'], { Identity: 'x', Bindings: ['a'] }],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '0.0.0.0:25', '-Fqdn', 'f'], { Identity: 'x', Bindings: ['0.0.0.0:25'], Fqdn: 'f' }],
  ['MAILBOX', ['x', '-EmailAddresses', "O'Brien@x.com,b@x.com"], { Identity: 'x', EmailAddresses: ["O'Brien@x.com", 'b@x.com'] }],

  // Add/Remove changes.
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add="a@x.com"; Remove="b@x.com"}'], { Identity: 'x', EmailAddresses: { add: ['a@x.com'], remove: ['b@x.com'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add="x","y"; Remove="z"}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: ['z'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=x,y; Remove=z}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: ['z'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=x,y;', 'Remove=z}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: ['z'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=x,', 'y;', 'Remove=z}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: ['z'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{remove="z"}'], { Identity: 'x', EmailAddresses: { add: [], remove: ['z'] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{ADD = @("x", "y")}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: [] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add={x, y};}'], { Identity: 'x', EmailAddresses: { add: ['x', 'y'], remove: [] } }],
  ['MAILBOX', ['x', '-EmailAddresses', '@{"Add"="smtp:a@x.com"}'], { Identity: 'x', EmailAddresses: { add: ['smtp:a@x.com'], remove: [] } }],
  ['RECEIVE_CONNECTOR', ['x', '-Port', '@{Add=25; Remove=587}'], { Identity: 'x', Port: { add: [25], remove: [587] } }],

  // Secrets are taken verbatim.
  ['MAILBOX', ['x', '-Password', 'P@ss, word {1}'], { Identity: 'x', Password: 'P@ss, word {1}' }],
];

for (const [cmdlet, argv, expected] of bindings) {
  test(`${cmdlet} ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(bindArguments(argv, CMDLETS[cmdlet]).values, expected);
  });
}

test('a bool given no value is reported as implied, so the caller can warn about bash', () => {
  const bound = bindArguments(['Client Frontend MAIL01', '-AdvertiseClientSettings', '-Fqdn', 'Dublin01.Contoso.com'], RECEIVE_CONNECTOR);
  assert.deepEqual(bound.implied, ['AdvertiseClientSettings']);
  assert.equal(bindArguments(['x', '-Enabled', '$true'], RECEIVE_CONNECTOR).implied, undefined);
  assert.deepEqual(bindArguments(['x', '-Enabled', '-AdvertiseClientSettings'], RECEIVE_CONNECTOR).implied, ['Enabled', 'AdvertiseClientSettings']);
});

test('common parameters are accepted and returned apart', () => {
  const bound = bindArguments(['x', '-Confirm:$false', '-WhatIf:$false', '-Verbose', '-ErrorAction', 'stop'], RECEIVE_CONNECTOR);
  assert.deepEqual(bound.values, { Identity: 'x' });
  assert.deepEqual(bound.common, { Confirm: false, WhatIf: false, Verbose: true, ErrorAction: 'Stop' });
  assert.deepEqual(bindArguments(['-ea', 'SilentlyContinue', '-cf:$false'], POP_SETTINGS).common, { ErrorAction: 'SilentlyContinue', Confirm: false });
  // `-Confirm:$false` unquoted in bash arrives as `-Confirm:`; it asks for no prompt, so it is let through.
  assert.deepEqual(bindArguments(['-Confirm:'], POP_SETTINGS).common, { Confirm: null });
});

test('common parameters Mailroom cannot honour are refused, not ignored: -Confirm, -DomainController, -ErrorAction Inquire', () => {
  for (const argv of [['x', '-Confirm'], ['x', '-cf'], ['x', '-Confirm:$true']]) {
    assert.throws(() => bindArguments(argv, RECEIVE_CONNECTOR), /^CmdletSyntaxError: -Confirm is not supported: Mailroom never asks before a change, so nothing was done/, argv.join(' '));
  }
  assert.throws(() => bindArguments(['x', '-DomainController', 'dc1.contoso.com'], RECEIVE_CONNECTOR), /-DomainController is not supported: Mailroom has no domain controllers/);
  for (const action of ['Inquire', 'Suspend', 'Break']) {
    assert.throws(() => bindArguments(['x', '-ErrorAction', action], RECEIVE_CONNECTOR), new RegExp(`-ErrorAction ${action} is not supported`));
  }
});

test('-WhatIf is refused rather than ignored: the cmdlet would make the change it was only asked to show', () => {
  for (const argv of [['x', '-WhatIf'], ['x', '-wi'], ['x', '-WhatIf:$true'], ['x', '-WhatIf:']]) {
    assert.throws(() => bindArguments(argv, RECEIVE_CONNECTOR), /^CmdletSyntaxError: -WhatIf is not supported: .*nothing was done/, argv.join(' '));
  }
});

test('a cmdlet parameter wins over a common parameter of the same name', () => {
  const own: ParameterSpec[] = [{ name: 'Confirm', kind: 'string', help: '' }];
  assert.deepEqual(bindArguments(['-Confirm', 'yes'], own), { values: { Confirm: 'yes' }, common: {}, help: false });
  assert.equal(COMMON_PARAMETERS.some((p) => p.name === 'Server'), false);
});

test('-? asks for help and lifts the required check', () => {
  assert.deepEqual(bindArguments(['-?'], RECEIVE_CONNECTOR), { values: {}, common: {}, help: true });
  assert.equal(bindArguments(['x', '-?'], RECEIVE_CONNECTOR).help, true);
});

// The same command typed in bash and read as a whole line must bind the same way.
const bothRoutes: [CmdletName, string, string[]][] = [
  ['POP_SETTINGS', "-ExternalConnectionSettings '{Dublin01.Contoso.com:995:SSL}'", ['-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}']],
  ['POP_SETTINGS', '-ExternalConnectionSettings {Dublin01.Contoso.com:995:SSL}', ['-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}']],
  ['POP_SETTINGS', '-ExternalConnectionSettings "mail.contoso.com:993:SSL","mail.contoso.com:143:TLS"', ['-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS']],
  ['POP_SETTINGS', '-ExternalConnectionSettings {a, b}', ['-ExternalConnectionSettings', '{a,', 'b}']],
  ['POP_SETTINGS', '-ExternalConnectionSettings a, b', ['-ExternalConnectionSettings', 'a,', 'b']],
  ['POP_SETTINGS', '-ExternalConnectionSettings @("a", "b")', ['-ExternalConnectionSettings', '@("a", "b")']],
  ['POP_SETTINGS', '-Banner "Hello, world" -LoginType SecureLogin', ['-Banner', 'Hello, world', '-LoginType', 'SecureLogin']],
  ['POP_SETTINGS', '-AuthenticatedConnectionTimeout 00:45:00 -MaxConnections Unlimited', ['-AuthenticatedConnectionTimeout', '00:45:00', '-MaxConnections', 'Unlimited']],
  ['POP_SETTINGS', '-ProtocolLogEnabled $true', ['-ProtocolLogEnabled']],
  ['POP_SETTINGS', "-ProtocolLogEnabled '$false'", ['-ProtocolLogEnabled', '$false']],
  ['RECEIVE_CONNECTOR', '"Client Frontend MAIL01" -AdvertiseClientSettings $true -Fqdn Dublin01.Contoso.com', ['Client Frontend MAIL01', '-AdvertiseClientSettings', '-Fqdn', 'Dublin01.Contoso.com']],
  ['RECEIVE_CONNECTOR', 'x -MaxMessageSize 36MB', ['x', '-MaxMessageSize', '36MB']],
  ['RECEIVE_CONNECTOR', "x -MaxMessageSize '36 MB (37,748,736 bytes)'", ['x', '-MaxMessageSize', '36 MB (37,748,736 bytes)']],
  ['MAILBOX', 'x -EmailAddresses @{Add="a@x.com"}', ['x', '-EmailAddresses', '@{Add=a@x.com}']],
  ['MAILBOX', `x -EmailAddresses @{Add="a@x.com","c@x.com"; Remove="b@x.com"}`, ['x', '-EmailAddresses', '@{Add="a@x.com","c@x.com"; Remove="b@x.com"}']],
  ['MAILBOX', `x -EmailAddresses @{Add="a@x.com","c@x.com"; Remove="b@x.com"}`, ['x', '-EmailAddresses', '@{Add=a@x.com,c@x.com; Remove=b@x.com}']],
  ['MAILBOX', `x -EmailAddresses @{Add="a@x.com","c@x.com"; Remove="b@x.com"}`, ['x', '-EmailAddresses', '@{Add=a@x.com,c@x.com;', 'Remove=b@x.com}']],
];

for (const [cmdlet, line, bashArgv] of bothRoutes) {
  test(`same binding from the line ${JSON.stringify(line)} and from bash's argv`, () => {
    const params = CMDLETS[cmdlet];
    const fromLine = bindArguments(splitCommandLine(line), params);
    const fromBash = bindArguments(bashArgv, params);
    assert.deepEqual(fromLine.values, fromBash.values);
  });
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the parameter and what it accepts

const errors: [CmdletName, string[], RegExp][] = [
  ['POP_SETTINGS', ['-LoginType', 'Foo'], /^-LoginType must be one of PlainTextLogin, PlainTextAuthentication, SecureLogin \(got 'Foo'\)\.$/],
  ['POP_SETTINGS', ['-LogonType', 'SecureLogin'], /^Unknown parameter -LogonType\. Did you mean -LoginType\?$/],
  ['RECEIVE_CONNECTOR', ['x', '-Fdqn', 'a.com'], /Unknown parameter -Fdqn\. Did you mean -Fqdn\?/],
  ['RECEIVE_CONNECTOR', ['x', '-Settings', 'a'], /Unknown parameter -Settings\. Did you mean -AdvertiseClientSettings\?/],
  ['RECEIVE_CONNECTOR', ['x', '-Zzyzx', 'a'], /^Unknown parameter -Zzyzx\. This command's parameters are -Identity, -AdvertiseClientSettings, -Fqdn, .*-Port\.$/],
  // A page of text pasted as a name: the message shows its start, and no suggestion is searched for.
  ['RECEIVE_CONNECTOR', ['x', `-Delay${'Noty'.repeat(8000)}`, '1'], /^Unknown parameter -Delay(Noty){13}Not…\. This command's parameters are /],
  ['RECEIVE_CONNECTOR', ['x', '-Max', '1'], /^Parameter -Max is ambiguous: it could be -MaxMessageSize, -MaxInboundConnection\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-Co', '1'], /ambiguous: it could be -ConnectionTimeout, -Comment, -Confirm\./],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn=a.com'], /Write -Fqdn value or -Fqdn:value/],
  ['RECEIVE_CONNECTOR', ['x', '--Fqdn', 'a.com'], /'--Fqdn' is not a parameter name/],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn'], /^-Fqdn needs a value: a text value\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn', '-Comment', 'c'], /^-Fqdn needs a value: a text value\. To give a value that starts with '-', write -Fqdn:'-value'\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize'], /^-MaxMessageSize needs a value: a size such as 10MB, or Unlimited\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-AuthMechanism'], /one of None, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, or several as a,b/],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', '36 XB'], /^-MaxMessageSize must be a size/],
  ['RECEIVE_CONNECTOR', ['x', '-MaxMessageSize', '-36MB'], /^-MaxMessageSize cannot be negative/],
  ['RECEIVE_CONNECTOR', ['x', '-ConnectionTimeout', '00:61:00'], /^-ConnectionTimeout is out of range/],
  ['RECEIVE_CONNECTOR', ['x', '-MaxInboundConnection', 'many'], /^-MaxInboundConnection must be a whole number or Unlimited \(got 'many'\)/],
  ['RECEIVE_CONNECTOR', ['x', '-AuthMechanism', 'Tls,Kerberos'], /^-AuthMechanism must be one of None, .* \(got 'Kerberos'\)/],
  ['RECEIVE_CONNECTOR', ['x', '-Port', '25,x'], /^-Port must be a whole number \(got 'x'\)/],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', 'yes'], /^-Enabled must be \$true or \$false \(got 'yes'\)\. In bash, put \$true and \$false in single quotes/],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled', 'Client Frontend'], /^-Enabled must be \$true or \$false/],
  ['RECEIVE_CONNECTOR', ['x', '-Enabled:'], /^-Enabled: needs \$true or \$false after the colon/],
  ['MAILBOX', ['x', '-Force:'], /^-Force: needs \$true or \$false after the colon/],
  ['MAILBOX', ['x', '-Force:maybe'], /^-Force must be \$true or \$false/],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn', 'a', '-fqdn', 'b'], /^-Fqdn is given more than once\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-Fqdn', 'a', '-Fq', 'b'], /^-Fqdn is given more than once\.$/],
  ['RECEIVE_CONNECTOR', ['x', '-Verbose', '-Verbose'], /^-Verbose is given more than once\.$/],
  // As in PowerShell: named parameters bind first, so the positional 'x' finds no place.
  ['RECEIVE_CONNECTOR', ['x', '-Identity', 'y'], /^Unexpected argument 'x': -Identity already has a value\./],
  ['RECEIVE_CONNECTOR', ['-Fqdn', 'a.com'], /^Missing required parameter -Identity\.$/],
  ['RECEIVE_CONNECTOR', ['Client', 'Frontend'], /^Unexpected argument 'Frontend': -Identity already has a value\. Quote a value that contains spaces/],
  ['POP_SETTINGS', ['extra'], /^Unexpected argument 'extra': this command takes only named parameters/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a,,b'], /^-Bindings has an empty item in its list/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a,'], /^-Bindings has an empty item in its list/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', 'a,', '-Fqdn', 'f'], /^-Bindings has an empty item in its list/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a,', 'b'], /^-Bindings: the \{ is never closed\. In bash, quote the whole list/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{"a}'], /^-Bindings: the \{ is never closed/],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '"a'], /^-Bindings: The string that starts with " at position 1 has no closing quote\./],
  ['RECEIVE_CONNECTOR', ['x', '-Bindings', '{a)'], /^-Bindings: The \) at position 3 does not match/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=a@x.com'], /^-EmailAddresses: the @\{ is never closed\. In bash, quote it whole/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=a}x'], /^-EmailAddresses: unexpected text after @\{…\}/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Replace=a}'], /^-EmailAddresses: each entry of @\{…\} must be Add=values or Remove=values/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{a}'], /^-EmailAddresses: each entry of @\{…\} must be Add=values or Remove=values/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=a; add=b}'], /^-EmailAddresses: @\{…\} has Add twice\.$/],
  ['MAILBOX', ['x', '-EmailAddresses', '@{Add=}'], /^-EmailAddresses: give at least one value after Add=\.$/],
  ['MAILBOX', ['x', '-EmailAddresses', '@Add=a', '@b'], /^-EmailAddresses: Bash expanded the braces of an @\{…\} value/],
  ['MAILBOX', ['x', '-EmailAddresses:@Add=a', '@b'], /^-EmailAddresses: Bash expanded the braces/],
  ['MAILBOX', ['x', '@Remove=a'], /^Bash expanded the braces/],
];

for (const [cmdlet, argv, message] of errors) {
  test(`${cmdlet} ${JSON.stringify(argv)} is refused`, () => {
    assert.throws(() => bindArguments(argv, CMDLETS[cmdlet]), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError, String(e));
      assert.match(e.message, message);
      return true;
    });
  });
}

test('errors carry the canonical parameter name', () => {
  assert.throws(() => bindArguments(['-logintype', 'x'], POP_SETTINGS), { parameter: 'LoginType' });
  assert.throws(() => bindArguments(['x', '-bind', '{a'], RECEIVE_CONNECTOR), { parameter: 'Bindings' });
});

const secretLeaks: string[][] = [
  ['x', 'Alice', '-Password', 'hunter2', 'two'],
  ['x', 'Alice', '-Password', 'hunter2', 'two', 'hunter2b'],
  ['x', '-Password:hunter2', '-Password', 'hunter2'],
  ['x', '-Pasword:hunter2'],
  ['x', '-Pasword=hunter2'],
  ['x', '-Password', '-hunter2'],
  ['x', '-Password'],
];
for (const argv of secretLeaks) {
  test(`a password never appears in an error: ${JSON.stringify(argv)}`, () => {
    assert.throws(() => bindArguments(argv, MAILBOX), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });
}

const parameterLike: [string, boolean][] = [
  ['-Fqdn', true],
  ['-Fqdn:a', true],
  ['-?', true],
  ['\u2014Fqdn', true],
  ['-5', false],
  ['-1.5', false],
  ['-.5', false],
  ['-5MB', false],
  ['-', false],
  ['', false],
  ['a-b', false],
];
for (const [item, expected] of parameterLike) {
  test(`isParameterLike(${JSON.stringify(item)}) = ${expected}`, () => {
    assert.equal(isParameterLike(item), expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Properties

const PIECES = [
  '-Identity', '-Fqdn', '-Enabled', '-Enabled:', '-Bindings', '-Bindings:', '-Port', '-MaxMessageSize', '-AuthMechanism',
  '-Confirm:', '-Co', '-?', '-x', '--', '-', '$true', '$false', '$null', '', 'a', 'b c', 'a,', ',b', ',', '{', '}',
  '{a,', 'b}', '@{Add=a;', 'Remove=b}', '@(', ')', '"', "'", '`', '10MB', '00:30:00', '-5', 'Unlimited', 'tls', '@Add=x',
  '{"a', "'b'}", '@{', '=', ';',
];

function randomArgv(next: () => number): string[] {
  return Array.from({ length: Math.floor(next() * 8) }, () => {
    if (next() < 0.2) {
      // Glue a few pieces together to reach odd corners.
      return Array.from({ length: 2 + Math.floor(next() * 3) }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
    }
    return PIECES[Math.floor(next() * PIECES.length)]!;
  });
}

test('bindArguments returns or throws CmdletSyntaxError, whatever the argv', () => {
  const next = prng(0xb1d);
  for (let i = 0; i < 2500; i++) {
    const argv = randomArgv(next);
    const lines = [argv.join(' '), argv.join('')];
    const routes: (() => unknown)[] = [
      () => bindArguments(argv, RECEIVE_CONNECTOR),
      () => bindArguments(argv, MAILBOX),
      ...lines.map((line) => () => bindArguments(splitCommandLine(line), RECEIVE_CONNECTOR)),
    ];
    for (const route of routes) {
      try {
        route();
      } catch (e) {
        assert.ok(e instanceof CmdletSyntaxError, `${JSON.stringify(argv)} threw ${String(e)}`);
      }
    }
  }
});

test('a password given among random arguments never appears in an error', () => {
  const next = prng(0x5ec);
  for (let i = 0; i < 2000; i++) {
    // Letters that appear in no parameter name or message, so a match can only be a leak.
    const secret = `zq${Array.from({ length: 8 }, () => 'qzjxk'[Math.floor(next() * 5)]).join('')}${next() < 0.5 ? ' with spaces' : ''}`;
    const argv = randomArgv(next);
    const at = Math.floor(next() * (argv.length + 1));
    const password = next() < 0.5 ? ['-Password', secret] : [`-Password:${secret}`];
    argv.splice(at, 0, ...password, ...secret.split(' ').slice(1));
    try {
      bindArguments(argv, MAILBOX);
    } catch (e) {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.ok(!e.message.includes(secret.slice(0, 10)), `${JSON.stringify(argv)}: ${e.message}`);
    }
  }
});
