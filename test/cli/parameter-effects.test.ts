// Parameters Exchange admins pass out of habit either do what Exchange documents or are refused
// with the reason (never stored or taken and ignored): Remove-Mailbox -Permanent, the mailbox
// permission options, the certificate key options, -ErrorAction and -Verbose.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { cmdletCommand } from '../../src/cli/run.ts';
import { Directory } from '../../src/directory/directory.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { createTestOrganization } from '../support/organization.ts';
import { mailroom, tempDataDir } from '../helpers.ts';

const data = tempDataDir('mailroom-params-');
let dir: Directory;
const previous = process.env.MAILROOM_DATA;
const run = (name: string, ...args: string[]) => cmdletCommand(name, args, new PassThrough(), dir);

before(async () => {
  await createTestOrganization(data.path, { mailboxes: [['Alice', 'alice'], ['Bob', 'bob'], ['Carol', 'carol'], ['Sales', 'sales']], password: 'Pass-2026-word' });
  process.env.MAILROOM_DATA = data.path;
  dir = await Directory.open();
});
after(async () => {
  await dir.close();
  if (previous === undefined) delete process.env.MAILROOM_DATA;
  else process.env.MAILROOM_DATA = previous;
  data.cleanup();
});

const message = (subject: string) => Buffer.from(`From: a@example.org\r\nTo: x@contoso.com\r\nSubject: ${subject}\r\n\r\nHello\r\n`);

describe('Remove-Mailbox -Permanent', () => {
  test('$true deletes the mail from its database; without it the mail stays (a disconnected mailbox)', async () => {
    const databases = new MailboxDatabases(dir);
    try {
      const ids: Record<string, string> = {};
      let database = '';
      for (const alias of ['alice', 'bob']) {
        const mailbox = await dir.requireMailbox(alias);
        ids[alias] = mailbox.id;
        database = mailbox.database;
        const store = await databases.storeFor(mailbox);
        const inbox = (await store.folders(mailbox.id)).find((f) => f.role === 'inbox')!;
        await store.append(inbox.id, { raw: message(`for ${alias}`) });
      }
      assert.equal(await run('Remove-Mailbox', 'alice', '-Permanent', '$true'), 0);
      assert.equal(await run('Remove-Mailbox', 'bob'), 0);
      const store = await databases.database(database);
      assert.deepEqual(await store.folders(ids.alice!), [], "alice's folders are gone");
      const bobInbox = (await store.folders(ids.bob!)).find((f) => f.role === 'inbox');
      assert.ok(bobInbox, "bob's folders stay");
      assert.equal((await store.status(bobInbox.id)).messages, 1);
      assert.equal(await dir.findMailbox('alice'), undefined);
      assert.equal(await dir.findMailbox('bob'), undefined);
    } finally {
      await databases.closeAll();
    }
  });
});

describe('mailbox permissions', () => {
  test('-InheritanceType All and -AutoMapping $false are what Mailroom does; the others are refused with the reason', async () => {
    const carol = await dir.requireMailbox('carol');
    const sales = await dir.requireMailbox('sales');
    await assert.rejects(run('Add-MailboxPermission', 'sales', '-User', 'carol', '-AccessRights', 'FullAccess', '-InheritanceType', 'Descendents'),
      /-InheritanceType Descendents is not supported: FullAccess and SendAs cover the whole mailbox/);
    await assert.rejects(run('Add-MailboxPermission', 'sales', '-User', 'carol', '-AccessRights', 'FullAccess', '-AutoMapping', '$true'),
      /-AutoMapping \$true is not supported: Outlook's automapping needs Autodiscover for MAPI/);
    assert.equal(await dir.hasMailboxPermission(sales.id, carol.id, 'FullAccess'), false, 'a refused command grants nothing');
    assert.equal(await run('Add-MailboxPermission', 'sales', '-User', 'carol', '-AccessRights', 'FullAccess', '-InheritanceType', 'All', '-AutoMapping', '$false'), 0);
    assert.equal(await dir.hasMailboxPermission(sales.id, carol.id, 'FullAccess'), true);
    await assert.rejects(run('Remove-MailboxPermission', 'sales', '-User', 'carol', '-AccessRights', 'FullAccess', '-InheritanceType', 'Children'), /Children is not supported/);
    assert.equal(await run('Remove-MailboxPermission', 'sales', '-User', 'carol', '-AccessRights', 'FullAccess', '-InheritanceType', 'All'), 0);
    assert.equal(await dir.hasMailboxPermission(sales.id, carol.id, 'FullAccess'), false);
    await assert.rejects(run('New-Mailbox', 'Dana', '-FirstName', 'Dana'), /FirstName/);
  });
});

describe('certificates', () => {
  test('-KeySize gives an RSA key of that size; an odd size, and -PrivateKeyExportable $true, are refused', async () => {
    assert.equal(await run('New-ExchangeCertificate', '-DomainName', 'rsa.contoso.com', '-KeySize', '3072'), 0);
    const rsa = (await dir.certificates()).find((c) => c.names.includes('rsa.contoso.com'))!;
    const details = createPrivateKey(rsa.keyPem).asymmetricKeyDetails!;
    assert.equal(createPrivateKey(rsa.keyPem).asymmetricKeyType, 'rsa');
    assert.equal(details.modulusLength, 3072);
    assert.equal(await run('New-ExchangeCertificate', '-DomainName', 'ec.contoso.com', '-PrivateKeyExportable', '$false'), 0);
    const ec = (await dir.certificates()).find((c) => c.names.includes('ec.contoso.com'))!;
    assert.equal(createPrivateKey(ec.keyPem).asymmetricKeyType, 'ec');
    await assert.rejects(run('New-ExchangeCertificate', '-DomainName', 'x.contoso.com', '-KeySize', '1024'), /-KeySize must be 2048, 3072, 4096/);
    await assert.rejects(run('New-ExchangeCertificate', '-DomainName', 'x.contoso.com', '-PrivateKeyExportable', '$true'), /-PrivateKeyExportable \$true is not supported/);
    assert.equal((await dir.certificates()).some((c) => c.names.includes('x.contoso.com')), false);
  });

  test('Import-ExchangeCertificate -Password opens an encrypted key; without it, or with a wrong one, the import is refused', async () => {
    const material = await createSelfSignedCertificate(['imported.contoso.com']);
    const encrypted = createPrivateKey(material.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'Key-Secret-1' }).toString();
    const certFile = join(data.path, 'imported.pem');
    const keyFile = join(data.path, 'imported.key');
    writeFileSync(certFile, material.certPem);
    writeFileSync(keyFile, encrypted);
    await assert.rejects(run('Import-ExchangeCertificate', '-FileName', certFile, '-PrivateKeyFileName', keyFile), /The private key is encrypted: give its password with -Password/);
    await assert.rejects(run('Import-ExchangeCertificate', '-FileName', certFile, '-PrivateKeyFileName', keyFile, '-Password', 'wrong'), /cannot be opened with this -Password/);
    assert.equal(await run('Import-ExchangeCertificate', '-FileName', certFile, '-PrivateKeyFileName', keyFile, '-Password', 'Key-Secret-1'), 0);
    const stored = (await dir.certificates()).find((c) => c.thumbprint === material.thumbprint)!;
    assert.ok(stored.keyPem.includes('-----BEGIN PRIVATE KEY-----'), 'kept unencrypted (the directory seals it)');
  });

  test('Enable-/Remove-ExchangeCertificate -Server choose the server; -DoNotRequireSsl is refused', async () => {
    const [cert] = await dir.certificates('MAIL01');
    await assert.rejects(run('Enable-ExchangeCertificate', cert!.thumbprint, '-Services', 'IIS', '-DoNotRequireSsl'), /-DoNotRequireSsl is not supported/);
    await assert.rejects(run('Enable-ExchangeCertificate', cert!.thumbprint, '-Services', 'IIS', '-Server', 'MAIL09'), /MAIL09/);
    await assert.rejects(run('Remove-ExchangeCertificate', cert!.thumbprint, '-Server', 'MAIL09'), /MAIL09/);
    assert.equal(await run('Enable-ExchangeCertificate', cert!.thumbprint, '-Services', 'IIS', '-Server', 'MAIL01', '-Force'), 0);
  });
});

describe('common parameters', () => {
  test('-ErrorAction SilentlyContinue hides the error and still fails; Retry-Queue -Resubmit $false is refused', async () => {
    await assert.rejects(run('Get-Mailbox', 'nobody'));
    assert.equal(await run('Get-Mailbox', 'nobody', '-ErrorAction', 'SilentlyContinue'), 1);
    assert.equal(await run('Get-Mailbox', 'nobody', '-ea', 'Ignore'), 1);
    await assert.rejects(run('Retry-Queue', '-Resubmit', '$false'), /-Resubmit \$false is not supported/);
  });

  test('-Verbose names the directory and the time taken, on stderr (a separate process, as an admin runs it)', () => {
    const r = mailroom(['Get-OrganizationConfig', '-Verbose'], { MAILROOM_DATA: data.path });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^VERBOSE: Get-OrganizationConfig on the directory ${data.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/directory\\.db$`, 'm'));
    assert.match(r.stderr, /^VERBOSE: Get-OrganizationConfig took \d+ ms$/m);
    const quiet = mailroom(['Get-Mailbox', 'nobody', '-ErrorAction', 'SilentlyContinue'], { MAILROOM_DATA: data.path });
    assert.equal(quiet.status, 1);
    assert.equal(quiet.stderr, '');
  });
});
