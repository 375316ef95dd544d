// The proxy when things go wrong, and with the roles in separate processes (issue 13): MAIL01
// runs its front ends (`--role frontend`) and its back ends (`--role backend`) as two processes,
// so every logon there is proxied, even to MAIL01's own mailboxes; MAIL02 runs everything. A
// limit of MAIL02's back end holds across front ends; the protocol logs of both sides share the
// session id; a dismounted database and MAIL02 killed → sessions through MAIL01 end with BYE (POP3: -ERR),
// new logons get temporary errors; mounted again, MAIL02 restarted → logons work again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { LineClient } from './line-client.ts';
import { ADDRESS, PASSWORD, TwoServers, type ServerName } from './proxy-harness.ts';

let two: TwoServers;

before(async () => {
  two = await TwoServers.create();
  for (const server of ['MAIL01', 'MAIL02'] as const) await two.dir.updateSettings('ImapSettings', { ProtocolLogEnabled: true }, server);
  await two.start('MAIL02');
  await two.start('MAIL01', 'backend');
  await two.start('MAIL01', 'frontend');
  await two.heartbeats();
});

after(async () => {
  await two?.close();
});

async function imapClient(via: ServerName): Promise<LineClient> {
  const socket = tlsConnect({ host: ADDRESS[via], port: two.port(via, 993), rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const client = new LineClient(socket);
  assert.match(await client.line(), /^\* OK/);
  return client;
}

/** Reads lines until one starts with `prefix`; the lines read, that one last. */
async function until(client: LineClient, prefix: string, timeoutMs = 10_000): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await client.line(timeoutMs);
    lines.push(line);
    if (line.startsWith(prefix)) return lines;
  }
}

async function logon(via: ServerName, user: string): Promise<{ client: LineClient; reply: string }> {
  const client = await imapClient(via);
  client.send(`a1 LOGIN ${user} ${PASSWORD}`);
  const reply = (await until(client, 'a1 ')).at(-1)!;
  return { client, reply };
}

test('a front-end-only process proxies every logon: alice to MAIL01\'s own back-end process, bob to MAIL02', async () => {
  const alice = await logon('MAIL01', 'alice@contoso.com');
  assert.match(alice.reply, /^a1 OK \[CAPABILITY [^\]]*IDLE/);
  alice.client.send('a2 LOGOUT');
  await until(alice.client, 'a2 OK');
  const bob = await logon('MAIL01', 'bob@contoso.com');
  assert.match(bob.reply, /^a1 OK /);
  bob.client.send('a2 LOGOUT');
  await until(bob.client, 'a2 OK');
  const [backend] = two.servers.MAIL01.processes;
  await backend!.waitFor(/imap4-backend: session handed over.*"frontEnd":"MAIL01"|"frontEnd":"MAIL01".*imap4-backend: session handed over/);
  await two.servers.MAIL02.processes[0]!.waitFor(/imap4-backend: session handed over/);
  // Both processes of MAIL01 report their services, neither wiping the other's.
  await new Promise((r) => setTimeout(r, 1500));
  const status = (await two.dir.server('MAIL01')).status ?? {};
  assert.ok(['imap4', 'pop3', 'imap4-backend', 'pop3-backend'].every((service) => service in status), JSON.stringify(status));
  assert.match(status['imap4-backend']!, new RegExp(`:${two.port('MAIL01', 1993)}\\b`));
});

test('front-end and back-end protocol log lines share the session id; the back end logs the client\'s address', async () => {
  const { client } = await logon('MAIL01', 'bob@contoso.com');
  client.send('a2 NOOP');
  await until(client, 'a2 OK');
  client.send('a3 LOGOUT');
  await until(client, 'a3 OK');
  const read = (server: ServerName) => {
    const folder = join(two.servers[server].data.path, 'Logging', 'Imap4');
    return existsSync(folder) ? readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8')).join('') : '';
  };
  let front = '';
  let back = '';
  for (let i = 0; i < 50 && !(/,noop,/.test(back) && /,handoff,|proxied to MAIL02/.test(front + back)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    front = read('MAIL01');
    back = read('MAIL02');
  }
  const backLines = back.split('\r\n').filter((l) => l.includes(',noop,'));
  assert.ok(backLines.length > 0, `MAIL02 logged the NOOP:\n${back}`);
  const [, sessionId, , , cIp] = backLines.at(-1)!.split(',');
  assert.match(cIp!, /^127\.0\.0\.1:\d+$/, 'the back end logs the client, not the front end');
  assert.ok(front.split('\r\n').some((l) => l.split(',')[1] === sessionId && /login/.test(l)), `MAIL01 logged the LOGIN of session ${sessionId}:\n${front}`);
});

test('MaxConnectionsPerUser of MAIL02 counts sessions from both front ends', async () => {
  await two.dir.updateSettings('ImapSettings', { MaxConnectionsPerUser: 2 }, 'MAIL02');
  // The limit applies once MAIL02 has read the change: a third session is then refused.
  const open: LineClient[] = [];
  try {
    open.push((await logon('MAIL01', 'bob@contoso.com')).client, (await logon('MAIL02', 'bob@contoso.com')).client);
    let reply = '';
    for (let i = 0; i < 50; i++) {
      const third = await logon('MAIL01', 'bob@contoso.com');
      open.push(third.client);
      reply = third.reply;
      if (!reply.startsWith('a1 OK')) break;
      third.client.send('a9 LOGOUT');
      await until(third.client, 'a9 OK');
      open.pop();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(reply, /^a1 NO \[LIMIT\] Too many IMAP4 connections for this user \(MaxConnectionsPerUser 2\)/);
  } finally {
    for (const c of open) c.socket.destroy();
    await two.dir.updateSettings('ImapSettings', { MaxConnectionsPerUser: 16 }, 'MAIL02');
  }
});

/** Logs on at `via` until the reply matches (the servers apply a directory change within a second or so). */
async function logonUntil(via: ServerName, user: string, wanted: RegExp): Promise<string> {
  let reply = '';
  for (let i = 0; i < 50; i++) {
    const attempt = await logon(via, user);
    reply = attempt.reply;
    attempt.client.socket.destroy();
    if (wanted.test(reply)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return reply;
}

test('Dismount-Database on MAIL02: a session through MAIL01 ends with BYE, logons get NO [UNAVAILABLE]; mounted again, logons work', async () => {
  const { client, reply } = await logon('MAIL01', 'bob@contoso.com');
  assert.match(reply, /^a1 OK /);
  client.send('a2 SELECT INBOX');
  await until(client, 'a2 OK');
  await two.dir.setDatabaseMounted('Mailbox Database MAIL02', false);
  try {
    assert.match((await until(client, '* BYE')).at(-1)!, /^\* BYE /);
    assert.equal(await logonUntil('MAIL01', 'bob@contoso.com', /^a1 NO/), 'a1 NO [UNAVAILABLE] The mailbox server for bob@contoso.com is not available now.');
  } finally {
    await two.dir.setDatabaseMounted('Mailbox Database MAIL02', true);
  }
  assert.match(await logonUntil('MAIL01', 'bob@contoso.com', /^a1 OK/), /^a1 OK /);
});

test('MAIL02 killed: an IDLE session through MAIL01 ends with BYE, new logons get temporary errors; restarted, logons work again', async () => {
  const { client: idler, reply } = await logon('MAIL01', 'bob@contoso.com');
  assert.match(reply, /^a1 OK /);
  idler.send('a2 SELECT INBOX');
  await until(idler, 'a2 OK');
  idler.send('a3 IDLE');
  await until(idler, '+ ');
  const popSocket = tlsConnect({ host: ADDRESS.MAIL01, port: two.port('MAIL01', 995), rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    popSocket.once('secureConnect', () => resolve());
    popSocket.once('error', reject);
  });
  const pop3 = new LineClient(popSocket);
  assert.match(await pop3.line(), /^\+OK/);
  pop3.send('USER bob@contoso.com');
  assert.match(await pop3.line(), /^\+OK/);
  pop3.send(`PASS ${PASSWORD}`);
  assert.match(await pop3.line(), /^\+OK/);
  pop3.send('STAT');
  assert.match(await pop3.line(), /^\+OK \d+ \d+$/);

  await two.stop('MAIL02', 'SIGKILL');
  assert.equal(await pop3.line(), '-ERR [SYS/TEMP] The connection to the mailbox server was lost; try again later.');
  const bye = await until(idler, '* BYE');
  assert.match(bye.at(-1)!, /^\* BYE \[UNAVAILABLE\] The connection to the mailbox server was lost; try again later\.$/);

  const refused = await logon('MAIL01', 'bob@contoso.com');
  assert.equal(refused.reply, 'a1 NO [UNAVAILABLE] The mailbox server for bob@contoso.com is not available now.');
  refused.client.send('a2 LOGIN alice@contoso.com ' + PASSWORD);
  assert.match((await until(refused.client, 'a2 ')).at(-1)!, /^a2 OK /, 'the client stays connected, and MAIL01\'s own mailboxes work');
  refused.client.socket.destroy();
  const pop = await two.poplib('MAIL01', `
try:
    connect('bob@contoso.com')
    print(json.dumps('logged on'))
except poplib.error_proto as e:
    print(json.dumps(e.args[0].decode()))
`);
  assert.equal(pop, '-ERR [SYS/TEMP] The mailbox server for bob@contoso.com is not available yet.');

  await two.start('MAIL02');
  assert.match(await logonUntil('MAIL01', 'bob@contoso.com', /^a1 OK/), /^a1 OK /);
});
