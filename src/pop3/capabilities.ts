// The CAPA list (RFC 2449 §5), shared by the front end (AUTHORIZATION) and the back end
// (TRANSACTION): "capabilities available in the AUTHORIZATION state MUST be announced in both
// states", so both answer from this one function for the connection's TLS state and LoginType.
import { advertisedMechanisms, plainTextCredentialsAllowed, type LoginType } from '../auth/logon-policy.ts';

export function capabilities(loginType: LoginType, tls: boolean): string[] {
  const userPass = plainTextCredentialsAllowed(loginType, tls);
  const mechanisms = advertisedMechanisms(loginType, tls);
  return [
    'TOP',
    'UIDL',
    ...(userPass ? ['USER'] : []),
    ...(mechanisms.length > 0 ? [`SASL ${mechanisms.join(' ')}`] : []),
    ...(tls ? [] : ['STLS']),
    'RESP-CODES',
    'AUTH-RESP-CODE',
    'PIPELINING',
    // Messages stay until the user deletes them (§6.7): no retention policy expires them.
    'EXPIRE NEVER',
    // RFC 6856: the UTF8 command is accepted, and USER/PASS take UTF-8 names and passwords.
    userPass ? 'UTF8 USER' : 'UTF8',
    'IMPLEMENTATION Mailroom',
  ];
}

/** A CAPA reply: a bare "+OK" as Exchange sends it, the list, the terminator. */
export function capaResponse(loginType: LoginType, tls: boolean): string {
  return ['+OK', ...capabilities(loginType, tls), '.'].map((line) => `${line}\r\n`).join('');
}
