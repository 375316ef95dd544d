// An in-process web service on a fresh directory (Contoso, server MAIL01), with a few
// mailboxes, for the HTTP-level tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { ListenerError } from '../../src/service/listeners.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { freePortOffset } from '../helpers.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { WebService } from '../../src/web/service.ts';

export const ADMIN_PW = 'Admin-Pass-2026';
export const ALICE_PW = 'Alice-Pass-2026';
export const BOB_PW = 'Bob-Pass-2026!';

export interface WebHarness {
  dir: Directory;
  deps: ServiceDeps;
  service: WebService;
  http: string;
  https: string;
  offset: number;
  close(): Promise<void>;
}

export async function startWebHarness(prefix = 'mailroom-web-'): Promise<WebHarness> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  // Mailbox databases live in the data folder; this test process has its own.
  process.env.MAILROOM_DATA = tmp;
  const dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', fqdn: 'mail01.contoso.com', server: 'MAIL01', adminPassword: ADMIN_PW });
  await useFastPasswords(dir);
  const [alice, bob] = await Promise.all([fastCredentials(ALICE_PW), fastCredentials(BOB_PW)]);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: alice });
  await dir.createMailbox({ name: '王小明', alias: 'xiaoming', credentials: bob, settings: { Languages: ['zh-TW'] } });
  await dir.createMailbox({ name: 'Sales Department', alias: 'sales', type: 'shared' });
  await dir.addMailboxPermission('sales', 'alice', 'FullAccess');
  const deps: ServiceDeps = {
    directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, silentLogger),
    log: silentLogger, tls: new SecureContextCache(),
  };
  const host = new ServiceHost(deps, 'MAIL01', 'all');
  for (let attempt = 0; ; attempt++) {
    const offset = await freePortOffset([80, 443]);
    try {
      const service = await WebService.start(await host.readSnapshot(), deps, offset);
      return {
        dir, deps, service, offset,
        http: `http://127.0.0.1:${80 + offset}`,
        https: `https://127.0.0.1:${443 + offset}`,
        async close() {
          await service.stop();
          await deps.databases.closeAll();
          await dir.close();
          rmSync(tmp, { recursive: true, force: true });
        },
      };
    } catch (err) {
      if (!(err instanceof ListenerError) || attempt > 20) throw err;
    }
  }
}
