// Sign-in sessions kept in the directory, on SQLite and PostgreSQL: two web services (MAIL01 and
// MAIL02), each with its own connection to the same directory and its own port offset, over
// real sockets. A session made on one works on the other, survives a restart, ends everywhere
// at sign-out or a password change; the directory holds a hash of the token, not the token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import { ListenerError } from '../../src/service/listeners.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { silentLogger } from '../../src/lib/log.ts';
import { PostgresDatabase } from '../../src/lib/sql/postgres.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import type { SqlDatabase } from '../../src/lib/sql/types.ts';
import { SessionStore } from '../../src/web/sessions.ts';
import { WebService } from '../../src/web/service.ts';
import { ENGINES } from '../engines.ts';
import { eventually, tempDataDir } from '../helpers.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { Browser, send } from './client.ts';

const ALICE_PW = 'Alice-Pass-2026';
const SESSION_COOKIE = '__Host-mailroom-session';

interface WebServer {
  dir: Directory;
  host: ServiceHost;
  service: WebService;
  https: string;
  http: string;
  stop(): Promise<void>;
}

/** A web service for `server` with its own connection to the directory, as another process has. */
async function startWeb(open: () => SqlDatabase, server: string): Promise<WebServer> {
  const dir = await Directory.openWith(open());
  const deps: ServiceDeps = {
    directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, silentLogger), log: silentLogger, tls: new SecureContextCache(),
  };
  const host = new ServiceHost(deps, server, 'all');
  const snapshot = await host.readSnapshot();
  for (let attempt = 0; ; attempt++) {
    const offset = 43000 + Math.floor(Math.random() * 900);
    try {
      const service = await WebService.start(snapshot, deps, offset);
      return {
        dir, host, service, https: `https://127.0.0.1:${443 + offset}`, http: `http://127.0.0.1:${80 + offset}`,
        async stop() {
          await service.stop();
          await deps.databases.closeAll();
          await dir.close();
        },
      };
    } catch (err) {
      if (!(err instanceof ListenerError) || attempt > 20) throw err;
    }
  }
}

/** The same cookie jar against another server's web service. */
function sameBrowserOn(browser: Browser, base: string): Browser {
  const other = new Browser(base, browser.localAddress);
  for (const [k, v] of browser.cookies) other.cookies.set(k, v);
  return other;
}

async function signedIn(browser: Browser): Promise<boolean> {
  const res = await browser.get('/options/account');
  if (res.status === 200) {
    assert.match(res.body, /alice@contoso\.com/);
    return true;
  }
  assert.ok(res.status === 302 || res.status === 303, `status ${res.status}`);
  assert.match(String(res.headers.location), /^\/signin/);
  return false;
}

let nextAddress = 60;

for (const engine of ENGINES) {
  describe(`web sign-in sessions in a ${engine.name} directory`, () => {
    const data = tempDataDir('mailroom-websessions-');
    let cleanup: () => Promise<void> = async () => undefined;
    let open: () => SqlDatabase;
    let admin: Directory;
    let web1: WebServer;
    let web2: WebServer;
    let address: string;
    const browser = () => new Browser(web1.https, address);

    before(async () => {
      process.env.MAILROOM_DATA = data.path;
      // Each engine's browsers come from their own loopback addresses: the logon throttle of one
      // run never slows the other.
      address = `127.0.0.${nextAddress++}`;
      const opened = await engine.open();
      cleanup = opened.cleanup;
      const sqlitePath = join(data.path, 'directory.db');
      open = opened.url ? () => PostgresDatabase.connect(opened.url!) : () => new SqliteDatabase(sqlitePath);
      await opened.db.close();
      admin = await Directory.openWith(open());
      await setupOrganization(admin, { organization: 'Contoso', domain: 'contoso.com', fqdn: 'mail01.contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
      await useFastPasswords(admin);
      await admin.addServer({ name: 'MAIL02', fqdn: 'mail02.contoso.com', site: 'Default-First-Site-Name' });
      const cert = await createSelfSignedCertificate(['mail02.contoso.com']);
      await admin.addCertificate({ ...cert, server: 'MAIL02', services: ['IIS'] });
      await admin.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: await fastCredentials(ALICE_PW) });
      web1 = await startWeb(open, 'MAIL01');
      web2 = await startWeb(open, 'MAIL02');
    });

    after(async () => {
      await web1?.stop();
      await web2?.stop();
      await admin?.close();
      await cleanup();
      data.cleanup();
    });

    test('a session made on MAIL01 works on MAIL02; the directory holds the hash of its token, not the token or the form token', async () => {
      const b = browser();
      const res = await b.signIn('alice', ALICE_PW);
      assert.equal(res.status, 303);
      const token = b.cookies.get(SESSION_COOKIE)!;
      assert.match(token, /^[\w-]{43}$/);
      assert.equal(await signedIn(sameBrowserOn(b, web2.https)), true);

      const page = await b.get('/options/account');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const rows = await admin.db.all<Record<string, unknown>>(`SELECT * FROM web_sessions`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, createHash('sha256').update(token).digest('hex'));
      const stored = JSON.stringify(rows);
      assert.equal(stored.includes(token), false, 'the token is not stored');
      assert.equal(stored.includes(csrf), false, 'the form token is not stored');
      // The form token works on the other server too: it is derived from the session token.
      const other = sameBrowserOn(b, web2.https);
      const signout = await other.request('/signout', { form: { _csrf: csrf } });
      assert.equal(signout.status, 303);
      assert.equal(signout.headers.location, '/signin');
    });

    test('a sign-out on MAIL02 ends the session on MAIL01 within about a second', async () => {
      const b = browser();
      await b.signIn('alice', ALICE_PW);
      assert.equal(await signedIn(b), true, 'MAIL01 has the session (and may keep it a moment)');
      const other = sameBrowserOn(b, web2.https);
      const page = await other.get('/options/account');
      await other.post('/signout', {}, page.body);
      assert.equal(await signedIn(other), false);
      await eventually(async () => !(await signedIn(b)), 1500, 100);
      assert.equal((await admin.db.all(`SELECT token_hash FROM web_sessions`)).length, 0);
    });

    test('a restart of the web service keeps the session', async () => {
      const b = browser();
      await b.signIn('alice', ALICE_PW);
      assert.equal(await signedIn(b), true);
      await web1.stop();
      web1 = await startWeb(open, 'MAIL01');
      const again = sameBrowserOn(b, web1.https);
      assert.equal(await signedIn(again), true);
      await again.post('/signout', {}, (await again.get('/options/account')).body);
    });

    test('a password set since sign-in ends the session on every server, and the sweep deletes its row', async () => {
      const b = browser();
      await b.signIn('alice', ALICE_PW);
      const on2 = sameBrowserOn(b, web2.https);
      assert.equal(await signedIn(on2), true);
      const before = await admin.db.all(`SELECT token_hash FROM web_sessions`);
      assert.equal(before.length, 1);
      await admin.updateMailbox('alice', { credentials: await fastCredentials('Alice-New-2026') });
      await eventually(async () => !(await signedIn(b)), 1500, 100);
      // Seen on MAIL01, deleted there; MAIL02 no longer finds it either, once its short-lived
      // reads of the session and the account have run out.
      await eventually(async () => !(await signedIn(on2)), 1500, 100);
      assert.equal((await admin.db.all(`SELECT token_hash FROM web_sessions`)).length, 0);

      // Sessions nobody used since are deleted by the sweep.
      const c = browser();
      await c.signIn('alice', 'Alice-New-2026');
      await admin.updateMailbox('alice', { credentials: await fastCredentials(ALICE_PW) });
      const swept = await new SessionStore(admin).sweep();
      assert.deepEqual(swept, { expired: 0, revoked: 1 });
      assert.equal((await admin.db.all(`SELECT token_hash FROM web_sessions`)).length, 0);
      assert.equal(await signedIn(c), false);
    });

    test('a disabled account loses its sessions as the new configuration reaches a web service; /metrics counts the sessions of every server', async () => {
      const b = browser();
      await b.signIn('alice', ALICE_PW);
      await sameBrowserOn(browser(), web2.https).signIn('alice', ALICE_PW);
      const metrics = await send(`${web1.http}/metrics`);
      assert.match(metrics.body, /^mailroom_web_sessions 2$/m);
      await admin.updateMailbox('alice', { accountDisabled: true });
      // The service host hands every service the configuration of each directory revision.
      await web2.service.reconfigure(await web2.host.readSnapshot());
      await eventually(async () => (await admin.db.all(`SELECT token_hash FROM web_sessions`)).length === 0, 1500, 50);
      assert.equal(await signedIn(b), false);
      assert.match((await send(`${web2.http}/metrics`)).body, /^mailroom_web_sessions 0$/m);
      await admin.updateMailbox('alice', { accountDisabled: false });
    });

    test('a user holds a bounded number of sessions (the oldest ends), and expired rows are swept', async () => {
      let clock = Date.now();
      const store = new SessionStore(admin, { maxPerUser: 2, idleMs: 60_000, maxAgeMs: 3_600_000, now: () => clock });
      const alice = await admin.requireMailbox('alice');
      const input = { userId: alice.id, mailboxId: alice.id, logonName: 'alice', credentialSerial: alice.credentialSerial };
      const first = await store.create(input);
      clock += 1;
      const second = await store.create(input);
      clock += 1;
      const third = await store.create(input);
      assert.equal(await store.get(first.token), undefined);
      assert.equal((await store.get(second.token))?.userId, alice.id);
      assert.equal((await store.get(third.token))?.csrf, third.session.csrf);
      assert.equal(await store.count(), 2);
      clock += 61_000;
      assert.equal(await new SessionStore(admin, { now: () => clock, idleMs: 60_000 }).count(), 0);
      assert.deepEqual(await new SessionStore(admin, { now: () => clock }).sweep(), { expired: 2, revoked: 0 });
      assert.equal(await store.get(third.token), undefined);
    });
  });
}
