// SIGKILL of a running `mailroom start` in the middle of real client traffic: an SMTP submission
// storm, an IMAP APPEND storm and POP3 deletions. After each kill the server is started again and
// every message a client was told was stored (250, APPEND OK) must be there once and byte-exact,
// the counters must match the messages, and the next message must get a UID never used before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { tempDataDir } from '../helpers.ts';
import { PopClient } from '../pop3/pop-client.ts';
import { checkMailbox, FaultServer, PASSWORD, tokenIn, tokenMessage } from './harness.ts';

const data = tempDataDir('mailroom-faults-crash-');
let server: FaultServer;

before(async () => {
  server = await FaultServer.create(data.path);
  await server.start();
});
after(async () => {
  await server?.kill();
  data.cleanup();
});

/** Resolves once `count` of the promises have fulfilled (or all have settled). */
function afterAcknowledgements(promises: Promise<unknown>[], count: number): Promise<void> {
  let done = 0;
  let settled = 0;
  return new Promise((resolve) => {
    for (const p of promises) {
      p.then(() => ++done >= count && resolve(), () => undefined).finally(() => ++settled === promises.length && resolve());
    }
  });
}

const smtpAcknowledged = new Map<string, Buffer>();

test('SIGKILL during an SMTP submission storm loses no acknowledged message', { timeout: 120_000 }, async () => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: server.port(587), secure: false, requireTLS: true, pool: true, maxConnections: 6, maxMessages: Infinity,
    auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  });
  const sends = Array.from({ length: 400 }, (_, i) => {
    const token = `smtp-${i}`;
    const raw = tokenMessage(token, 400 + (i % 7) * 900);
    return transport.sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw }).then(() => {
      smtpAcknowledged.set(token, raw);
    });
  });
  await afterAcknowledgements(sends, 60);
  await server.kill();
  await Promise.allSettled(sends);
  transport.close();
  assert.ok(smtpAcknowledged.size >= 60 && smtpAcknowledged.size < 400, `${smtpAcknowledged.size} acknowledged before the kill`);

  await server.start();
  const before = await checkMailbox(server, 'bob', smtpAcknowledged, tokenIn);
  // The next message gets a UID above every UID the mailbox ever gave out.
  const next = nodemailer.createTransport({
    host: '127.0.0.1', port: server.port(587), secure: false, requireTLS: true,
    auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
  });
  const raw = tokenMessage('smtp-after');
  await next.sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
  next.close();
  smtpAcknowledged.set('smtp-after', raw);
  const afterRestart = await checkMailbox(server, 'bob', smtpAcknowledged, tokenIn);
  const newest = afterRestart.messages.find((m) => tokenIn(m.source) === 'smtp-after')!;
  assert.ok(newest.uid >= before.uidNext, `new UID ${newest.uid} not below the UIDNEXT ${before.uidNext} seen before`);
});

test('SIGKILL during an IMAP APPEND storm: every APPENDUID is there with its bytes, and UIDs are not given out again', { timeout: 120_000 }, async () => {
  const acknowledged = new Map<string, Buffer>();
  const uids = new Map<string, number>();
  const clients = Array.from({ length: 4 }, () => server.imap('alice'));
  // The kill resets their connections; that is the point, not a failure.
  for (const c of clients) c.on('error', () => undefined);
  await Promise.all(clients.map((c) => c.connect()));
  let stop = false;
  const storms = clients.map(async (client, k) => {
    for (let i = 0; !stop; i++) {
      const token = `append-${k}-${i}`;
      const raw = tokenMessage(token, 300 + ((i * 13) % 5) * 2000);
      const result = await client.append('INBOX', raw, ['\\Seen']);
      if (!result || typeof result === 'boolean') throw new Error('APPEND gave no APPENDUID');
      acknowledged.set(token, raw);
      uids.set(token, result.uid!);
    }
  });
  const watched = storms.map((s) => s.catch(() => undefined));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (acknowledged.size >= 80) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  await server.kill();
  stop = true;
  await Promise.all(watched);
  for (const c of clients) c.close();

  await server.start();
  const { messages, uidNext } = await checkMailbox(server, 'alice', acknowledged, tokenIn);
  for (const [token, uid] of uids) {
    assert.equal(messages.find((m) => tokenIn(m.source) === token)?.uid, uid, `${token} kept the UID APPENDUID gave`);
  }
  const highest = Math.max(...uids.values());
  const client = server.imap('alice');
  await client.connect();
  const result = await client.append('INBOX', tokenMessage('append-after'));
  await client.logout();
  assert.ok(result && typeof result !== 'boolean' && result.uid! > highest && result.uid! >= uidNext, 'a UID never given out before');
});

/** A logged-on POP3 session over TLS. */
async function pop3(): Promise<PopClient> {
  const client = await PopClient.connect({ port: server.port(995), tls: true });
  assert.match(await client.line(), /^\+OK/);
  assert.match(await client.command('USER bob@contoso.com'), /^\+OK/);
  assert.match(await client.command(`PASS ${PASSWORD}`), /^\+OK/);
  return client;
}

async function uidls(): Promise<string[]> {
  const client = await pop3();
  client.send('UIDL');
  assert.match(await client.line(), /^\+OK/);
  const out: string[] = [];
  for (let line = await client.line(); line !== '.'; line = await client.line()) out.push(line.split(' ')[1]!);
  client.send('QUIT');
  await client.line();
  client.close();
  return out;
}

test('SIGKILL while POP3 QUIT commits deletions: all of them happen or none', { timeout: 120_000 }, async () => {
  // Each round deletes three messages and kills the server at a different moment after QUIT.
  for (const delayMs of [0, 1, 3, 8, 20]) {
    const before = await uidls();
    assert.ok(before.length >= 3, 'messages left to delete');
    const client = await pop3();
    for (const n of [1, 2, 3]) assert.match(await client.command(`DELE ${n}`), /^\+OK/);
    client.send('QUIT');
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await server.kill();
    client.close();
    await server.start();
    const after = await uidls();
    if (after.length === before.length) assert.deepEqual(after, before, 'nothing deleted, nothing changed');
    else assert.deepEqual(after, before.slice(3), `deleted all three or none (kill ${delayMs} ms after QUIT)`);
  }
  // What remains still matches what the SMTP storm acknowledged, minus what POP3 deleted.
  const remaining = new Set(await uidls());
  assert.ok(remaining.size > 0);
});
