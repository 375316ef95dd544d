// The credential serial: it moves when a password is set and not when the hash is redone, and
// directories created before it existed get the column when they are opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.ts';
import { SCHEMA } from '../../src/directory/schema.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { fastCredentials } from '../support/passwords.ts';

test('a directory from before the credential serial gets it on open, starting at 0', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mailroom-serial-'));
  try {
    const path = join(tmp, 'directory.db');
    // The schema as it was: the mailboxes table without the column.
    const old = new SqliteDatabase(path);
    await old.exec(SCHEMA.replace(/,\n\s*credential_serial INTEGER NOT NULL DEFAULT 0/, ''));
    await assert.rejects(old.get('SELECT credential_serial FROM mailboxes'));
    await old.close();
    const dir = await Directory.openWith(new SqliteDatabase(path));
    await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
    const alice = await dir.createMailbox({ name: 'Alice', alias: 'alice', credentials: await fastCredentials('Alice-Pass-2026') });
    assert.equal(alice.credentialSerial, 0);
    // Opening it again (another process) finds the column there.
    await (await Directory.openWith(new SqliteDatabase(path))).close();

    await dir.updateMailbox('alice', { credentials: await fastCredentials('Alice-Pass-2027') });
    assert.equal((await dir.mailboxById(alice.id))!.credentialSerial, 1);
    // Other changes and a rehash leave it.
    await dir.updateMailbox('alice', { settings: { DisplayName: 'Alice W.' } });
    const stored = (await dir.credentials(alice.id))!.passwordHash!;
    assert.equal(await dir.replaceCredentials(alice.id, stored, await fastCredentials('Alice-Pass-2027')), true);
    assert.equal((await dir.mailboxById(alice.id))!.credentialSerial, 1);
    const states = await dir.logonStates([alice.id, 'no-such-id']);
    assert.deepEqual([...states.users], [[alice.id, { credentialSerial: 1, accountDisabled: false }]]);
    await dir.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
