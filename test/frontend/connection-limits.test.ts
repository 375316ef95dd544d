// MaxConnectionFromSingleIP at its default, over real sockets: one client address cannot hold
// more than 2000 IMAP4 connections, logged on or not, while other addresses still get in.
// (Exchange 2013's default is 2147483647, which let one address take every connection.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { DEFAULT_MAX_CONNECTIONS_FROM_ONE_ADDRESS } from '../../src/config/pop-imap.ts';
import { Directory } from '../../src/directory/directory.ts';
import { ProtocolFrontend } from '../../src/frontend/protocol-frontend.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { freePortOffset } from '../helpers.ts';

let tmp: string;
let dir: Directory;
let fe: ProtocolFrontend;
let port: number;
const sockets: Socket[] = [];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-limits-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
  // Only the bindings change: every limit is the organization's default.
  await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:143'], SSLBindings: ['127.0.0.1:993'] }, 'MAIL01');
  const deps: ServiceDeps = {
    directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, silentLogger), log: silentLogger, tls: new SecureContextCache(),
  };
  const offset = await freePortOffset([143, 993]);
  fe = new ProtocolFrontend('imap', deps, offset);
  await fe.reconfigure(await new ServiceHost(deps, 'MAIL01', 'all').readSnapshot());
  port = 143 + offset;
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await fe?.stop();
  await dir?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Connects from `localAddress` and resolves with the server's first line. */
function firstLine(localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(socket);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

test('the default MaxConnectionFromSingleIP is finite: 2000', async () => {
  assert.equal((await dir.settings('ImapSettings', 'MAIL01')).MaxConnectionFromSingleIP, 2000);
  assert.equal((await dir.settings('PopSettings', 'MAIL01')).MaxConnectionFromSingleIP, 2000);
});

test('one address gets 2000 connections, the next is refused, another address still gets in', async () => {
  const crowd = '127.0.0.60';
  // In batches, each greeted before the next: every one of them is counted and held open.
  for (let opened = 0; opened < DEFAULT_MAX_CONNECTIONS_FROM_ONE_ADDRESS; opened += 200) {
    const greetings = await Promise.all(Array.from({ length: 200 }, () => firstLine(crowd)));
    assert.ok(greetings.every((g) => g.startsWith('* OK ')), greetings.find((g) => !g.startsWith('* OK ')));
  }
  assert.equal(await firstLine(crowd), '* BYE Connection refused: too many connections.');
  assert.match(await firstLine('127.0.0.61'), /^\* OK /);
});
