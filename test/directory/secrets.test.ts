// Secrets at rest: smart-host passwords, DKIM private keys and certificates' private keys are
// sealed (AES-256-GCM) with a key kept out of directory.db, so the database file alone gives none
// of them away. Plain values written by an earlier version are sealed on first open; a server
// without the key says what is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { parseSecretsKey, SecretBox, SecretsKeyError } from '../../src/lib/secrets.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { dkimKeys, newDkimKey } from '../../src/smtp/dkim/dkim-keys.ts';
import { newSendConnector, sendConnector } from '../../src/smtp/queue/send-connectors.ts';
import { prng, randomInt } from '../support/random.ts';
import { tempDataDir } from '../helpers.ts';

const PASSWORD = 'Smart-Host-Pass-2026';

describe('SecretBox', () => {
  const folder = tempDataDir('mailroom-secrets-unit-');
  after(() => folder.cleanup());

  test('the first seal makes secrets.key (0600, base64); sealed values open to the plain text for the same purpose only', () => {
    const box = new SecretBox(folder.path);
    assert.equal(existsSync(join(folder.path, 'secrets.key')), false, 'no key before it is needed');
    const sealed = box.seal('p@ss word', 'send-connector-password');
    assert.match(sealed, /^mrsec1:[0-9a-f]{8}:[A-Za-z0-9+/=]+$/);
    assert.equal(statSync(join(folder.path, 'secrets.key')).mode & 0o777, 0o600);
    assert.equal(parseSecretsKey(readFileSync(join(folder.path, 'secrets.key'), 'utf8'), 'file').length, 32);
    assert.equal(box.open(sealed, 'send-connector-password'), 'p@ss word');
    assert.notEqual(box.seal('p@ss word', 'send-connector-password'), sealed, 'a fresh IV every time');
    assert.throws(() => box.open(sealed, 'dkim-private-key'), SecretsKeyError);
    assert.equal(new SecretBox(folder.path).open(sealed, 'send-connector-password'), 'p@ss word', 'another instance reads the same key file');
    assert.equal(box.open('plain old value', 'x'), 'plain old value', 'values from before sealing pass through');
  });

  test('a changed byte anywhere is refused', () => {
    const box = new SecretBox(folder.path);
    const sealed = box.seal('secret', 'p');
    const [prefix, id, body] = sealed.split(':') as [string, string, string];
    const raw = Buffer.from(body, 'base64');
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i]! ^= 0x01;
      assert.throws(() => box.open(`${prefix}:${id}:${bad.toString('base64')}`, 'p'), SecretsKeyError, `byte ${i}`);
    }
    assert.throws(() => box.open(`${prefix}:${id}:AAAA`, 'p'), /damaged/);
  });

  test('round trip of random texts (property)', () => {
    const box = new SecretBox(folder.path);
    const rnd = prng(7);
    for (let i = 0; i < 200; i++) {
      const text = String.fromCodePoint(...Array.from({ length: randomInt(rnd, 300) }, () => randomInt(rnd, 0xd7ff) + 1));
      assert.equal(box.open(box.seal(text, 'p'), 'p'), text);
    }
  });

  test('MAILROOM_SECRETS_KEY takes the place of the file; a value sealed with another key names both key ids', () => {
    const sealedWithFile = new SecretBox(folder.path).seal('x', 'p');
    process.env.MAILROOM_SECRETS_KEY = randomBytes(32).toString('hex');
    try {
      const empty = tempDataDir('mailroom-secrets-env-');
      const box = new SecretBox(empty.path);
      assert.equal(box.open(box.seal('y', 'p'), 'p'), 'y');
      assert.deepEqual(readdirSync(empty.path), [], 'no key file is made');
      assert.throws(() => box.open(sealedWithFile, 'p'), /encrypted with another key \(id [0-9a-f]{8}\) than MAILROOM_SECRETS_KEY/);
      empty.cleanup();
      process.env.MAILROOM_SECRETS_KEY = 'too-short';
      assert.throws(() => new SecretBox(folder.path).seal('z', 'p'), /MAILROOM_SECRETS_KEY must hold a 256-bit key/);
    } finally {
      delete process.env.MAILROOM_SECRETS_KEY;
    }
  });
});

describe('the directory', () => {
  const data = tempDataDir('mailroom-secrets-dir-');
  let dir: Directory;
  const open = async () => Directory.openWith(new SqliteDatabase(join(data.path, 'directory.db')));

  before(async () => {
    dir = await open();
    await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
  });
  after(async () => {
    await dir.close();
    data.cleanup();
  });

  test('what is stored is sealed and what is read is the secret; the database files hold none of them in plain text', async () => {
    await newSendConnector(dir, 'Via provider', { SmartHosts: ['relay.example'], SmartHostAuthMechanism: 'BasicAuth', AuthenticationUserName: 'relay', AuthenticationPassword: PASSWORD });
    const key = await newDkimKey(dir, { domain: 'contoso.com', selector: 's1', keySize: 1024 });
    const row = await dir.db.get<{ value: string }>(`SELECT value FROM send_connectors`);
    assert.ok(!row!.value.includes(PASSWORD));
    assert.match(JSON.parse(row!.value).AuthenticationPassword, /^mrsec1:/);
    assert.equal((await sendConnector(dir, 'Via provider')).settings.AuthenticationPassword, PASSWORD);
    const dkim = await dir.db.get<{ private_key: string }>(`SELECT private_key FROM dkim_keys`);
    assert.match(dkim!.private_key, /^mrsec1:/);
    assert.equal((await dkimKeys(dir, 'contoso.com'))[0]!.privateKeyPem, key.privateKeyPem);
    const cert = await dir.db.get<{ key_pem: string }>(`SELECT key_pem FROM certificates`);
    assert.match(cert!.key_pem, /^mrsec1:/);
    assert.match((await dir.certificates())[0]!.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    // The bytes an attacker would copy: the database and its write-ahead log.
    for (const name of readdirSync(data.path).filter((n) => n.startsWith('directory.db'))) {
      const bytes = readFileSync(join(data.path, name));
      assert.equal(bytes.includes(PASSWORD), false, name);
      assert.equal(bytes.includes('PRIVATE KEY-----'), false, name);
    }
  });

  test('plain values left by an earlier version are sealed on first open and read back unchanged', async () => {
    const pair = await createSelfSignedCertificate(['legacy.contoso.com']);
    await dir.db.run(
      `INSERT INTO certificates (thumbprint, server_key, subject, issuer, names, not_before, not_after, services, self_signed, cert_pem, key_pem) VALUES (?, 'mail01', ?, ?, ?, ?, ?, '[]', 1, ?, ?)`,
      [pair.thumbprint, pair.subject, pair.issuer, JSON.stringify(pair.names), pair.notBefore, pair.notAfter, pair.certPem, pair.keyPem],
    );
    await dir.db.run(`INSERT INTO dkim_keys (domain_key, selector, domain, private_key, public_key, key_size, enabled, created_at) VALUES ('contoso.com', 'old', 'contoso.com', ?, 'AAAA', 1024, 0, '2020-01-01T00:00:00Z')`, [pair.keyPem]);
    const legacy = JSON.stringify({ ...(await sendConnector(dir, 'Via provider')).settings, AuthenticationPassword: 'Legacy-Pass-1' });
    await dir.db.run(`INSERT INTO send_connectors (name_key, name, value) VALUES ('legacy', 'Legacy', ?)`, [legacy]);
    await dir.close();

    dir = await open();
    const stored = await dir.db.get<{ key_pem: string }>(`SELECT key_pem FROM certificates WHERE thumbprint = ?`, [pair.thumbprint]);
    assert.match(stored!.key_pem, /^mrsec1:/, 'sealed while the directory opened');
    assert.equal((await dir.certificates()).find((c) => c.thumbprint === pair.thumbprint)!.keyPem, pair.keyPem);
    assert.equal((await dkimKeys(dir, 'contoso.com')).find((k) => k.selector === 'old')!.privateKeyPem, pair.keyPem);
    assert.match((await dir.db.get<{ private_key: string }>(`SELECT private_key FROM dkim_keys WHERE selector = 'old'`))!.private_key, /^mrsec1:/);
    assert.equal((await sendConnector(dir, 'Legacy')).settings.AuthenticationPassword, 'Legacy-Pass-1');
    assert.ok(!(await dir.db.get<{ value: string }>(`SELECT value FROM send_connectors WHERE name_key = 'legacy'`))!.value.includes('Legacy-Pass-1'));
  });

  test('without the key the directory says which key is missing and where it would be', async () => {
    await dir.close();
    const keyFile = join(data.path, 'secrets.key');
    const saved = readFileSync(keyFile);
    rmSync(keyFile);
    try {
      dir = await open();
      await assert.rejects(dir.certificates(), /there is no key: .*secrets\.key is missing and MAILROOM_SECRETS_KEY is not set/);
    } finally {
      await dir.close();
      const { writeFileSync } = await import('node:fs');
      writeFileSync(keyFile, saved, { mode: 0o600 });
      dir = await open();
    }
    assert.equal((await dir.certificates()).length, 2);
  });
});
