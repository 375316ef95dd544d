// MailboxDatabases opens only what the mailbox locator allows, with the directory in SQLite and
// in PostgreSQL: a database of another server or a dismounted one is a MailboxUnavailable naming
// the server that holds it, and nothing is created for it on disk; closeUnmounted closes what a
// Dismount-Database (or a move) took away, and Mount-Database brings it back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { MailboxUnavailable } from '../../src/directory/mailbox-locator.ts';
import { joinOrganization, setupOrganization } from '../../src/host/setup.ts';
import { databaseFolder } from '../../src/store/open.ts';
import { ENGINES } from '../engines.ts';
import { tempDataDir } from '../helpers.ts';

for (const engine of ENGINES) {
  describe(`mailbox databases through the locator (${engine.name} directory)`, () => {
    const data = tempDataDir('mailroom-databases-');
    let cleanup: () => Promise<void>;
    let dir: Directory;
    let mail01: MailboxDatabases;
    const previousData = process.env.MAILROOM_DATA;

    before(async () => {
      process.env.MAILROOM_DATA = data.path;
      const opened = await engine.open();
      cleanup = opened.cleanup;
      dir = await Directory.openWith(opened.db);
      await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
      await joinOrganization(dir, { server: 'MAIL02' });
      await dir.createMailbox({ name: 'alice', database: 'Mailbox Database MAIL01' });
      await dir.createMailbox({ name: 'bob', database: 'Mailbox Database MAIL02' });
      mail01 = new MailboxDatabases(dir, 'MAIL01');
    });

    after(async () => {
      await mail01.closeAll();
      await cleanup();
      data.cleanup();
      process.env.MAILROOM_DATA = previousData;
    });

    test('a mailbox of another server is unavailable here, naming that server, and no file is made for it', async () => {
      const bob = await dir.requireMailbox('bob');
      await assert.rejects(mail01.storeFor(bob), (err: Error) => {
        assert.ok(err instanceof MailboxUnavailable);
        assert.equal(err.reason, 'elsewhere');
        assert.equal(err.server, 'MAIL02');
        assert.match(err.message, /bob@contoso\.com is in the database Mailbox Database MAIL02, mounted on MAIL02, not on this server/);
        return true;
      });
      await assert.rejects(mail01.database('Mailbox Database MAIL02'), MailboxUnavailable);
      assert.ok(!existsSync(databaseFolder('Mailbox Database MAIL02')));
      assert.equal(await mail01.mountedHere('Mailbox Database MAIL02'), false);
      await assert.rejects(mail01.database('No Such Database'), /there is no mailbox database 'No Such Database'/);
    });

    test('dismounted: unavailable, the open store is closed; mounted again: the same mail is there', async () => {
      const alice = await dir.requireMailbox('alice');
      const store = await mail01.storeFor(alice);
      const inbox = (await store.folders(alice.id)).find((f) => f.role === 'inbox')!;
      await store.append(inbox.id, { raw: Buffer.from('Subject: kept\r\n\r\nHello.\r\n') });
      assert.deepEqual(await mail01.closeUnmounted(), [], 'nothing to close while it is mounted');

      await dir.setDatabaseMounted('Mailbox Database MAIL01', false);
      assert.equal(await mail01.mountedHere('Mailbox Database MAIL01'), false);
      assert.deepEqual(await mail01.closeUnmounted(), ['Mailbox Database MAIL01']);
      await assert.rejects(mail01.storeFor(alice), (err: Error) => err instanceof MailboxUnavailable && err.reason === 'dismounted'
        && /Mount-Database 'Mailbox Database MAIL01' mounts it on MAIL01/.test(err.message));

      // New-Mailbox without -Database passes a dismounted database by.
      assert.equal((await dir.createMailbox({ name: 'carol' })).database, 'Mailbox Database MAIL02');

      await dir.setDatabaseMounted('Mailbox Database MAIL01', true);
      assert.equal((await dir.createMailbox({ name: 'dave' })).database, 'Mailbox Database MAIL01');
      const again = await mail01.storeFor(alice);
      assert.notEqual(again, store, 'opened afresh');
      assert.equal((await again.usage(alice.id)).messages, 1);
    });

    test('left to find its server itself, with two servers and a host name that is neither: refused; MAILROOM_SERVER says which', { skip: /^mail0[12]\b/i.test(hostname()) && 'the host name is a server of this test' }, async () => {
      const unnamed = new MailboxDatabases(dir);
      const saved = process.env.MAILROOM_SERVER;
      try {
        delete process.env.MAILROOM_SERVER;
        await assert.rejects(unnamed.storeFor(await dir.requireMailbox('alice')), /Which server is this\? The organization has 2 servers/);
        process.env.MAILROOM_SERVER = 'MAIL02';
        const mail02 = new MailboxDatabases(dir);
        await assert.rejects(mail02.storeFor(await dir.requireMailbox('alice')), /mounted on MAIL01, not on this server/);
        await mail02.closeAll();
      } finally {
        if (saved === undefined) delete process.env.MAILROOM_SERVER;
        else process.env.MAILROOM_SERVER = saved;
        await unnamed.closeAll();
      }
    });
  });
}
