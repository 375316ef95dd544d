// What the fuzzer feeds: every parser that reads bytes a client or a sender chose. Each target
// runs one input and throws FuzzDefect when the code under test broke a promise (an exception
// where a value or a protocol error was due, output outside the grammar); a refusal the code
// was designed to give (ParseError, a failure result) is a pass.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameCommand, literalAnnouncement, ParseError, parseCommand as parseImapCommand } from '../../src/imap/protocol/index.ts';
import { parseCommand as parsePopCommand } from '../../src/pop3/protocol.ts';
import { bodyStructure, envelope, extractSearchText, scanMessage, sectionBytes, sectionRange, walkParts, partNumbers } from '../../src/mime/index.ts';
import { splitCommandLine, splitTopLevel } from '../../src/cli/syntax.ts';
import { bindArguments } from '../../src/cli/bind.ts';
import { CmdletSyntaxError, type ParameterSpec } from '../../src/cli/types.ts';
import { parseSize, parseTimeSpan, parseInteger, parseBoolean } from '../../src/cli/values.ts';
import {
  decodeSaslname, parseClientFinalMessage, parseClientFirstMessage, parseLoginField, parsePlainMessage,
} from '../../src/auth/sasl/index.ts';
import { LogonNameError, parseLogonName } from '../../src/auth/login-name.ts';
import { parseForeignHash } from '../../src/auth/foreign-hashes.ts';
import { parseAutodiscoverRequest } from '../../src/client-setup/autodiscover.ts';
import { checkBody, checkEnvelope, parseImap } from '../mime/imap-grammar.ts';
import { ROOT } from '../helpers.ts';
import { parseUidlist } from '../../src/migration/formats/dovecot-uidlist.ts';
import { parseDovecotKeywords, parseMaildirFileName, parseSubscriptions, maildirFolderLevels } from '../../src/migration/formats/maildir.ts';
import { MboxScanner, mboxMessage, mboxState, parseSeparator } from '../../src/migration/formats/mbox.ts';
import { parsePasswdFile } from '../../src/migration/formats/passwd-file.ts';
import { decodeAnswer, decodeHandoff, decodeStart, encodeHandoff, encodeStart, HandoffError } from '../../src/auth/handoff.ts';

export class FuzzDefect extends Error {}

export interface FuzzTarget {
  name: string;
  /** Seeds that live elsewhere in the repository (fixtures other tests use); the corpus adds to them. */
  seeds(): Buffer[];
  /** Pieces with meaning in this grammar, for the mutator to insert. */
  tokens: readonly string[];
  run(input: Buffer): void;
}

/** The error a parser is allowed to throw; anything else is a defect. */
function expectOnly(run: () => void, allowed: (err: unknown) => boolean): void {
  try {
    run();
  } catch (err) {
    if (allowed(err)) return;
    throw new FuzzDefect(`unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

const lines = (input: Buffer): Buffer[] => {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = input.indexOf(0x0a); i >= 0; i = input.indexOf(0x0a, start)) {
    out.push(input.subarray(start, i > start && input[i - 1] === 0x0d ? i - 1 : i));
    start = i + 1;
  }
  if (start < input.length) out.push(input.subarray(start));
  return out;
};

const imap: FuzzTarget = {
  name: 'imap-command',
  seeds: () => {
    // Every command line of the recorded client conversations.
    const local = join(ROOT, 'test', 'imap', 'protocol', 'fixtures', 'clients');
    const out: Buffer[] = [];
    for (const name of readdirSync(local)) {
      for (const line of readFileSync(join(local, name), 'latin1').split('\n')) {
        const m = /^C: (.*)$/.exec(line.trimEnd());
        if (m) out.push(Buffer.from(`${m[1]}\r\n`, 'latin1'));
      }
    }
    return out;
  },
  tokens: [
    ' ', '(', ')', '[', ']', '<', '>', '{', '}', '~{', '+}', '"', '\\', '*', '%', '$', ':', ',', '.', '\r\n', '\x00',
    'UID ', 'FETCH ', 'BODY[', 'BODY.PEEK[', 'HEADER.FIELDS (', 'BINARY[', 'SEARCH ', 'CHARSET ', 'OR ', 'NOT ',
    'SORT (', 'THREAD ', 'STORE ', '+FLAGS ', 'APPEND ', 'LIST ', 'RETURN (', 'STATUS ', 'ENABLE ', 'ID (',
    'MODSEQ ', 'CHANGEDSINCE ', 'UNCHANGEDSINCE ', 'QRESYNC ', 'VANISHED', '1:*', '4294967295', '{5}\r\n', '{0+}\r\n',
    '&AGE-', '&-', '&Jjo-', 'SUBJECT "', 'HEADER ', 'SENTSINCE 1-Jan-2026', 'NIL',
  ],
  run(input) {
    const first = input.subarray(0, Math.max(0, input.indexOf(0x0a)) || input.length);
    literalAnnouncement(first);
    expectOnly(() => void frameCommand(input), (err) => err instanceof ParseError);
    expectOnly(() => void parseImapCommand(input), (err) => {
      if (!(err instanceof ParseError)) return false;
      // parseCommand turns a defect inside a parser into this BAD: for the fuzzer it is a defect.
      if (err.message === 'Command could not be parsed') throw new FuzzDefect('a parser threw something other than ParseError');
      return true;
    });
  },
};

const pop3: FuzzTarget = {
  name: 'pop3-command',
  seeds: () => ['USER alice@contoso.com', 'PASS secret', 'STAT', 'LIST', 'LIST 1', 'RETR 1', 'TOP 1 10', 'DELE 2', 'UIDL', 'UIDL 3',
    'NOOP', 'RSET', 'QUIT', 'CAPA', 'STLS', 'UTF8', 'AUTH PLAIN', 'AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9'].map((l) => Buffer.from(`${l}\r\n`)),
  tokens: [' ', '\t', '\r\n', '\x00', '-1', '0', '4294967296', '99999999999999999999', 'RETR', 'TOP', 'LIST'],
  run(input) {
    for (const line of lines(input)) {
      const r = parsePopCommand(line);
      if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean') throw new FuzzDefect('no parse result');
      if (r.ok && 'args' in r.command && r.command.args.some((n: number) => !Number.isSafeInteger(n) || n < 0)) {
        throw new FuzzDefect(`argument out of range: ${r.command.args}`);
      }
    }
  },
};

const mime: FuzzTarget = {
  name: 'mime',
  seeds: () => {
    const dir = join(ROOT, 'test', 'mime', 'fixtures');
    return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(dir, f)));
  },
  tokens: [
    '\r\n', '\n', '\r\n\r\n', '--', 'Content-Type: multipart/mixed; boundary="b"\r\n', '--b\r\n', '--b--\r\n',
    'Content-Type: message/rfc822\r\n\r\n', 'Content-Transfer-Encoding: base64\r\n', 'quoted-printable', '=?utf-8?B?', '=?big5?Q?',
    '?=', ';', '=', '"', '\\', '(', ')', '<', '>', ',', ':', '@', 'charset*=utf-8\'\'', 'filename*0*=', '\x00', '\xff',
  ],
  run(raw) {
    let root;
    try {
      root = scanMessage(raw);
      for (const utf8 of [false, true]) {
        checkBody(parseImap(bodyStructure(raw, root, { utf8Allowed: utf8 })), true);
        checkEnvelope(parseImap(envelope(raw, root, utf8)));
      }
      for (const [part, number] of partNumbers(root)) {
        const sections = number === '' ? ['HEADER', 'TEXT', '1'] : [number, `${number}.MIME`, `${number}.HEADER`, `${number}.TEXT`];
        for (const section of sections) {
          const range = sectionRange(root, raw, section);
          if (range.data === null && (range.start < 0 || range.end > raw.length || range.start > range.end)) {
            throw new FuzzDefect(`section ${section} outside the message`);
          }
          sectionBytes(raw, range);
        }
        if (part.headerStart < 0 || part.bodyStart < part.headerStart || part.bodyEnd < part.bodyStart || part.bodyEnd > raw.length) {
          throw new FuzzDefect('part outside the message');
        }
      }
      walkParts(root);
      extractSearchText(raw, root, 4096);
    } catch (err) {
      if (err instanceof FuzzDefect) throw err;
      throw new FuzzDefect(`the MIME engine threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
};

/** One parameter of each kind, so the binder reads every kind of value. */
const CMDLET_PARAMETERS: readonly ParameterSpec[] = [
  { name: 'Identity', kind: 'string', positional: 0, help: '' },
  { name: 'Count', kind: 'int', allowUnlimited: true, help: '' },
  { name: 'Enabled', kind: 'bool', help: '' },
  { name: 'Force', kind: 'switch', help: '' },
  { name: 'LoginType', kind: 'enum', values: ['PlainTextLogin', 'SecureLogin'], help: '' },
  { name: 'Quota', kind: 'size', allowUnlimited: true, help: '' },
  { name: 'Timeout', kind: 'timespan', help: '' },
  { name: 'Password', kind: 'secret', help: '' },
  { name: 'Bindings', kind: 'string', multi: true, help: '' },
];

const cmdlet: FuzzTarget = {
  name: 'cmdlet-line',
  seeds: () => [
    `Set-PopSettings -ExternalConnectionSettings '{Dublin01.Contoso.com:995:SSL}'`,
    `Set-ReceiveConnector "Client Frontend MAIL01" -AdvertiseClientSettings '$true' -Fqdn Dublin01.Contoso.com`,
    `New-Mailbox -Name 王小明 -Alias xiaoming -Languages zh-TW -Password 'Secret-2026'`,
    `Set-ImapSettings -ExternalConnectionSettings "mail.contoso.com:993:SSL","mail.contoso.com:143:TLS"`,
    `Set-Mailbox chris -ProhibitSendQuota 10MB -IssueWarningQuota @{a=1;b="x"} -Languages @('en','zh-TW')`,
    `Set-TransportConfig -DelayNotificationTimeout 04:00:00 -MaxSendSize unlimited`,
  ].map((l) => Buffer.from(l)),
  tokens: [' ', "'", '"', '`', '{', '}', '@{', '@(', ')', ',', ';', '=', '$true', '$false', '$null', '-', '\u2013', ':', '10MB', '1.5GB', '00:00:01', '30.00:00:00'],
  run(input) {
    const text = input.toString('utf8');
    expectOnly(() => {
      const argv = splitCommandLine(text);
      splitTopLevel(text, ',;');
      bindArguments(argv, CMDLET_PARAMETERS);
    }, (err) => err instanceof CmdletSyntaxError);
    for (const parse of [parseSize, parseTimeSpan, parseInteger, parseBoolean] as ((t: string) => unknown)[]) {
      expectOnly(() => void parse(text), (err) => err instanceof CmdletSyntaxError);
    }
  },
};

const sasl: FuzzTarget = {
  name: 'sasl',
  seeds: () => [
    '\0alice@contoso.com\0Pass-word-2026', 'admin\0alice\0pw', 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', 'n=a=2Cb=3Dc', 'CONTOSO\\bob', 'alice@contoso.com\\sales',
  ].map((l) => Buffer.from(l, 'latin1')),
  tokens: ['\0', ',', '=', '=2C', '=3D', '=', 'n,', 'y,', 'p=tls-unique,', 'a=', 'n=', 'r=', 'c=', 'p=', 'm=', '\\', '@', '\xc3\xa9', '\xff'],
  run(input) {
    const text = input.toString('utf8');
    const result = (r: { ok: boolean }) => {
      if (typeof r.ok !== 'boolean') throw new FuzzDefect('no result');
    };
    expectOnly(() => {
      result(parsePlainMessage(input));
      result(parseLoginField(input, 'user name'));
      result(parseClientFirstMessage(text));
      result(parseClientFinalMessage(text));
      decodeSaslname(text);
    }, () => false);
    expectOnly(() => void parseLogonName(text), (err) => err instanceof LogonNameError);
  },
};

const autodiscover: FuzzTarget = {
  name: 'autodiscover',
  seeds: () => [
    `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@contoso.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
    `<a:Autodiscover xmlns:a="x"><a:Request><a:EMailAddress> bob&amp;co@contoso.com </a:EMailAddress></a:Request></a:Autodiscover>`,
  ].map((l) => Buffer.from(l)),
  tokens: ['<', '>', '</', '/>', ' ', '\t', '\n', ':', 'a:', '<EMailAddress>', '</EMailAddress>', '<AcceptableResponseSchema>', '&amp;', '&', '"', '<!--', '-->', '<![CDATA['],
  run(input) {
    expectOnly(() => {
      const r = parseAutodiscoverRequest(input.toString('utf8'));
      if (r.emailAddress !== undefined && typeof r.emailAddress !== 'string') throw new FuzzDefect('address is not text');
    }, () => false);
  },
};

// Imported password hashes come from another server's files (passwd-file, an import CSV): the
// parser must refuse with a message, never throw, and what it accepts must store and re-parse
// to the same thing.
const passwordHash: FuzzTarget = {
  name: 'password-hash',
  seeds: () => [
    '{SHA512-CRYPT}$6$tmMFrp4rGP7544HE$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.',
    '{SHA256-CRYPT}$5$rounds=20000$l2pzEI5KMLYwsTAf$hx/AvM09A1Jcaf5fjjLvMiRfeDSInAuWd4QlYf/YtV1',
    '{BLF-CRYPT}$2y$05$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq',
    '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo',
    '{SSHA512}9fLTKr3kfjeZJ4xVWvGJ7QXauwVlYSNDI9sVGb/T70eSQt/vKvjP+gcI4zZPMXJTYKRRjlosyNHvm9xewW8UwPhCc3o=',
    '{SHA256.HEX}cb4a6856fb8b26c2234cab564669b441556081a6279cbe6a8a68a54a856c46a2', '{PLAIN.B64}cMOkc3N3b3JkMQ==',
    '{CRAM-MD5}a5eef4acb75eee9d8b3c011a3e0e2a08b8f5d46cce893eedfe96577e5ab45788', '{MD5}$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0', '$1$g0jOHoJ8$mexPcsVxJpbYZN/raZckK0',
  ].map((l) => Buffer.from(l)),
  tokens: ['{', '}', '$', '.HEX', '.B64', '=', ',', 'rounds=', '$6$', '$5$', '$1$', '$2y$', '$argon2id$', 'v=19', 'm=', 't=', 'p=', '{CRYPT}', '{PLAIN}', '{SSHA}', '/', '+', '\xc3\xa9'],
  run(input) {
    expectOnly(() => {
      const parsed = parseForeignHash(input.toString('utf8'));
      if (!parsed.ok) {
        if (typeof parsed.error !== 'string' || parsed.error.length === 0) throw new FuzzDefect('a refusal without a message');
        return;
      }
      const again = parseForeignHash(parsed.value.stored);
      if (!again.ok || again.value.stored !== parsed.value.stored) throw new FuzzDefect(`stored form does not re-parse: ${parsed.value.stored}`);
    }, () => false);
  },
};

/** The files an import reads from another server's disk: Dovecot's metadata and mbox files. */
const migrationFiles: FuzzTarget = {
  name: 'migration-files',
  seeds: () => [
    '3 V1700000123 N45 G0a1b\n1 :1700000001.M1P1.host,S=100,W=103:2,S\n4 W2060 P0000000465766c3b :1700000002.M2P1.host,S=2000\n',
    'From a@b Mon Jan  1 00:00:00 2024\nStatus: RO\nX-Keywords: Work\nX-UID: 4\n\nbody\n>From x\n\nFrom c Tue Jan  2 00:00:00 2024\nX-IMAPbase: 1 9\n\nx',
    'chris@contoso.com:{SHA512-CRYPT}$6$s$h:1000:1000:Chris:/home/chris::userdb_mail=maildir:~/Maildir\n',
    'V\t2\n\nSent\n工作\t報告\n', '0 $Forwarded\n1 Work\n',
  ].map((l) => Buffer.from(l)),
  tokens: ['From ', '>From ', '\n\n', ':2,', ',S=', ',W=', 'X-UID: ', 'X-IMAPbase: ', 'Status: ', 'X-Keywords: ', '3 V', ' N', ' :', '{', '}', ':', '\t', '&', '-', '.'],
  run(input) {
    expectOnly(() => {
      const text = input.toString('utf8');
      const list = parseUidlist(text);
      if (list) for (let i = 1; i < list.entries.length; i++) if (list.entries[i]!.uid <= list.entries[i - 1]!.uid) throw new FuzzDefect('uidlist UIDs not ascending');
      parseMaildirFileName(text.split('\n')[0]!);
      maildirFolderLevels(text.split('\n')[0]!);
      parseDovecotKeywords(text);
      parseSubscriptions(text);
      for (const e of parsePasswdFile(text).entries) if (e.user.length === 0) throw new FuzzDefect('a passwd entry without a user');
      const scanner = new MboxScanner();
      const spans = [...scanner.push(input.subarray(0, input.length >> 1)), ...scanner.push(input.subarray(input.length >> 1)), ...scanner.finish()];
      let last = 0;
      for (const span of spans) {
        if (span.start < last || span.end < span.start || span.end > input.length) throw new FuzzDefect(`span ${span.start}-${span.end} out of order or bounds`);
        last = span.end;
        parseSeparator(span.separator);
        mboxState(span.head);
        mboxMessage(input.subarray(span.start, span.end), 'mboxrd');
      }
    }, () => false);
  },
};

/**
 * The front end → back end hand-off (auth/handoff.ts): a back end reads it from any client that
 * passed the certificate check. The input is tried as a whole line and as the JSON inside one,
 * so mutations reach the field checks, not only the base64.
 */
const handoff: FuzzTarget = {
  name: 'handoff',
  seeds: () => [
    '{"protocol":"imap","sessionId":"0123456789ABCDEF","user":{"id":"u-1","upn":"bob@contoso.com"},"mailbox":{"id":"u-1","address":"bob@contoso.com"},"logonName":"bob@contoso.com","client":{"address":"203.0.113.7","port":5123},"frontEnd":"MAIL01","tag":"a1"}',
    '{"protocol":"pop","sessionId":"FEDCBA9876543210","user":{"id":"u-1","upn":"alice@contoso.com"},"mailbox":{"id":"m-2","address":"sales@contoso.com"},"logonName":"alice@contoso.com\\\\sales","client":{"address":"2001:db8::1","port":110},"frontEnd":"MAIL02"}',
    'START TLS YTIgU0VMRUNUIElOQk9YDQo=', 'REFUSE -ERR [IN-USE] The mailbox is already in use.', 'ACCEPT',
  ].map((l) => Buffer.from(l)),
  tokens: ['{', '}', '"', ':', ',', '[', ']', 'null', 'true', '-1', '65536', '1e3', '"imap"', '"pop"', '"tag":', '"port":', '\\u0000', '\\r\\n', '::', '.', '\\\\'],
  run(input) {
    const b64 = input.toString('base64');
    const wrapped = [`MAILROOM-HANDOFF/1 ${b64}\r\n`, `START TLS ${b64}\r\n`, input];
    for (const line of wrapped) {
      expectOnly(() => {
        const decoded = decodeHandoff(line);
        const again = decodeHandoff(encodeHandoff(decoded));
        if (JSON.stringify(again) !== JSON.stringify(decoded)) throw new FuzzDefect('a hand-off does not re-encode to itself');
      }, (err) => err instanceof HandoffError);
      expectOnly(() => {
        const start = decodeStart(line);
        if (!decodeStart(encodeStart(start)).pending.equals(start.pending)) throw new FuzzDefect('START does not re-encode to itself');
      }, (err) => err instanceof HandoffError);
      expectOnly(() => void decodeAnswer(line), (err) => err instanceof HandoffError);
    }
  },
};

export const TARGETS: readonly FuzzTarget[] = [imap, pop3, mime, cmdlet, sasl, autodiscover, passwordHash, migrationFiles, handoff];
