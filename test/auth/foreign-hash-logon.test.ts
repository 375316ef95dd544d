// Imported hashes through the Authenticator on a real SQLite directory: the old password logs
// on, the hash is replaced by Mailroom's own scrypt string and SCRAM keys once (concurrent
// logons included), SCRAM fails cleanly until then, and a password set meanwhile is kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { credentialsFor } from '../../src/auth/credentials.ts';
import { ForeignHashError, importPasswordHash } from '../../src/auth/foreign-hashes.ts';
import { parseScramCredentials, parseScryptPhc } from '../../src/auth/passwords.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { Directory } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { FAST_PASSWORD_COST, useFastPasswords } from '../support/passwords.ts';

const PASSWORD = 'pässword1';
const SHA512_CRYPT = '{SHA512-CRYPT}$6$tmMFrp4rGP7544HE$mfPRDI/vOd39v6GZqNYGKZjhBZukRFhmm6KP.tZjb7ORmajaQElgV/Rt2cmJidoXAM7PZyQzhp.27HaMDyuQg.';
const BLF_CRYPT = '{BLF-CRYPT}$2y$05$UmBsuEIbMjCYTdJ602RRyeIxgNsjGMHMESsOySiQKW489JIms/GQq';

let tmp: string;
let dir: Directory;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-foreign-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
  await useFastPasswords(dir);
});

after(async () => {
  await dir?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function authenticator(): Authenticator {
  return new Authenticator(dir, silentLogger, { throttle: new LogonThrottle({ sleep: async () => {} }), costTtlMs: 0 });
}

test('an imported {SHA512-CRYPT} hash logs on, then is replaced by scrypt and SCRAM keys at the organization\'s cost', async () => {
  const mailbox = await dir.createMailbox({ name: 'Dana Lee', alias: 'dana' });
  const before = await dir.updateMailbox(mailbox.id, { credentials: await credentialsFor('Old-Pass-2026', FAST_PASSWORD_COST) });
  await importPasswordHash(dir, 'dana@contoso.com', SHA512_CRYPT);
  assert.deepEqual(await dir.credentials(mailbox.id), { passwordHash: SHA512_CRYPT, scram: null });
  // Like a password change, the import moves the credential serial (sessions on the old one end).
  assert.ok((await dir.mailboxById(mailbox.id))!.credentialSerial > before.credentialSerial);

  const auth = authenticator();
  // SCRAM cannot use the imported hash: the lookup yields no keys, so the exchange runs on fake
  // ones and fails like a wrong password, without an error.
  const scram = await auth.beginScram('dana', '192.0.2.1');
  assert.equal(scram.credentials, null);
  assert.deepEqual(await auth.authorizeScram('imap', 'dana', '192.0.2.1', false, scram.attempt), { ok: false, reason: 'credentials' });

  assert.equal((await auth.logon({ protocol: 'imap', logonName: 'dana', password: 'Old-Pass-2026', clientAddress: '192.0.2.1' })).ok, false);
  assert.equal((await auth.logon({ protocol: 'imap', logonName: 'dana', password: 'pässword2', clientAddress: '192.0.2.1' })).ok, false);
  await auth.settled();
  assert.equal((await dir.credentials(mailbox.id))!.passwordHash, SHA512_CRYPT, 'a failed logon replaces nothing');

  const serialBefore = (await dir.mailboxById(mailbox.id))!.credentialSerial;
  // Five connections at once with the right password (a client opening its connections).
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => auth.logon({ protocol: i % 2 ? 'pop' : 'imap', logonName: 'dana@contoso.com', password: PASSWORD, clientAddress: `192.0.2.${10 + i}` })));
  assert.ok(results.every((r) => r.ok), JSON.stringify(results));
  await auth.settled();
  const after = (await dir.credentials(mailbox.id))!;
  const phc = parseScryptPhc(after.passwordHash!);
  assert.equal(phc?.params.ln, FAST_PASSWORD_COST.scryptLn);
  assert.equal(parseScramCredentials(after.scram!)?.iterations, FAST_PASSWORD_COST.scramIterations);
  // Not a password change: sessions logged on with it go on.
  assert.equal((await dir.mailboxById(mailbox.id))!.credentialSerial, serialBefore);

  // A fresh Authenticator (another process, no cache) logs on with the new hash, and SCRAM has keys.
  const other = authenticator();
  assert.equal((await other.logon({ protocol: 'imap', logonName: 'dana', password: PASSWORD, clientAddress: '192.0.2.1' })).ok, true);
  await other.settled();
  assert.equal((await dir.credentials(mailbox.id))!.passwordHash, after.passwordHash, 'replaced once, not again');
  assert.notEqual((await other.beginScram('dana', '192.0.2.1')).credentials, null);
});

test('two processes replacing the same imported hash: one write wins, the other is skipped', async () => {
  const mailbox = await dir.createMailbox({ name: 'Eli Park', alias: 'eli' });
  await importPasswordHash(dir, mailbox.id, BLF_CRYPT);
  const [a, b] = [authenticator(), authenticator()];
  const results = await Promise.all([a, b].map((auth) => auth.logon({ protocol: 'pop', logonName: 'eli', password: PASSWORD, clientAddress: '192.0.2.2' })));
  assert.ok(results.every((r) => r.ok));
  await Promise.all([a.settled(), b.settled()]);
  const stored = (await dir.credentials(mailbox.id))!;
  assert.ok(parseScryptPhc(stored.passwordHash!), stored.passwordHash!);
  // Whichever won, hash and SCRAM keys belong together: both check the same password.
  const third = authenticator();
  assert.equal((await third.logon({ protocol: 'imap', logonName: 'eli', password: PASSWORD, clientAddress: '192.0.2.3' })).ok, true);
  assert.notEqual(parseScramCredentials(stored.scram!), null);
});

test('a password set by an administrator while the imported hash is being replaced is kept', async () => {
  const mailbox = await dir.createMailbox({ name: 'Fay Moss', alias: 'fay' });
  await importPasswordHash(dir, mailbox.id, BLF_CRYPT);
  const auth = authenticator();
  assert.equal((await auth.logon({ protocol: 'imap', logonName: 'fay', password: PASSWORD, clientAddress: '192.0.2.4' })).ok, true);
  // The background rehash is under way; the administrator sets a new password now.
  const fresh = await credentialsFor('New-Pass-2026', FAST_PASSWORD_COST);
  await dir.updateMailbox(mailbox.id, { credentials: fresh });
  await auth.settled();
  assert.equal((await dir.credentials(mailbox.id))!.passwordHash, fresh.passwordHash);
});

test('the web sign-in and SMTP submission check imported hashes too (one Authenticator.logon for all)', async () => {
  for (const [alias, protocol] of [['hana', 'web'], ['ivan', 'smtp']] as const) {
    const mailbox = await dir.createMailbox({ name: alias, alias });
    await importPasswordHash(dir, mailbox.id, '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$2kzc/WOD0WPcGnSXeVbVOw$T9PW/Dk2OAkjPgjb52+wpmEmCKmJvZOpPo1lDF0LRBo');
    const auth = authenticator();
    assert.equal((await auth.logon({ protocol, logonName: alias, password: 'pässword1!', clientAddress: '192.0.2.5' })).ok, false);
    assert.equal((await auth.logon({ protocol, logonName: `${alias}@contoso.com`, password: PASSWORD, clientAddress: '192.0.2.5' })).ok, true);
    await auth.settled();
    assert.ok(parseScryptPhc((await dir.credentials(mailbox.id))!.passwordHash!), protocol);
  }
});

test('importPasswordHash refuses what it cannot verify and shared mailboxes, and stores nothing then', async () => {
  const mailbox = await dir.createMailbox({ name: 'Gus Hale', alias: 'gus', credentials: await credentialsFor('Gus-Pass-2026', FAST_PASSWORD_COST) });
  const stored = await dir.credentials(mailbox.id);
  await assert.rejects(importPasswordHash(dir, mailbox.id, '{NTLM}8846F7EAEE8FB117AD06BDD830B7586C'), ForeignHashError);
  await assert.rejects(importPasswordHash(dir, mailbox.id, 'Gus-Pass-2026'), /no \{SCHEME\} prefix/);
  assert.deepEqual(await dir.credentials(mailbox.id), stored);
  const shared = await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
  await assert.rejects(importPasswordHash(dir, shared.id, SHA512_CRYPT), /no logon of its own/);
  await assert.rejects(importPasswordHash(dir, 'nobody', SHA512_CRYPT), /not found/);
});
