// APPENDs a client pipelines (LITERAL+, RFC 7888) are queued for their commit while the session
// reads on, so that they share commits: answered in the order sent, with UIDs in that order, a
// refused one answered in its place, and any other command seeing all of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeCommits, storeWrites } from '../../../src/lib/metrics.ts';
import { message, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.addUser('piper');
});

after(async () => {
  await server?.stop();
});

const subjectOf = (i: number) => `Pipelined ${String(i).padStart(3, '0')}`;

const counter = async (c: typeof storeCommits) => (await c.get()).values[0]?.value ?? 0;

test('200 pipelined APPENDs share commits: replies in the order sent, UIDs in that order, and the folder holds them in it', async (t) => {
  const c = await RawClient.login(server.tlsPort, 'piper@contoso.com');
  const count = 200;
  // Sizes vary, and every tenth is over the 128 KB kept inside the database (written to a file
  // first): a small APPEND sent after a large one still takes the later UID.
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = i % 10 === 5 ? 'x'.repeat(76).concat('\r\n').repeat(2000) : `Message ${i}\r\n`.repeat(1 + (i % 7));
    const raw = Buffer.from(message(subjectOf(i), body));
    parts.push(Buffer.from(`a${i} APPEND INBOX {${raw.length}+}\r\n`), raw, Buffer.from('\r\n'));
  }
  // And a command right behind them, in the same write: it must see all 200.
  parts.push(Buffer.from('s1 STATUS INBOX (MESSAGES)\r\n'));
  const [commits, writes] = [await counter(storeCommits), await counter(storeWrites)];
  c.write(Buffer.concat(parts));
  const lines = await c.until('s1', 60_000);
  const used = (await counter(storeCommits)) - commits;
  t.diagnostic(`${(await counter(storeWrites)) - writes} writes in ${used} commits`);
  // Each waiting for the last would be 200 commits.
  assert.ok(used < count / 2, `${used} commits for ${count} APPENDs`);
  const tagged = lines.filter((l) => /^(a\d+|s1) /.test(l));
  assert.deepEqual(tagged.map((l) => l.split(' ')[0]), [...Array.from({ length: count }, (_, i) => `a${i}`), 's1']);
  const uids = tagged.slice(0, count).map((l) => {
    const m = /^a\d+ OK \[APPENDUID \d+ (\d+)\] /.exec(l);
    assert.ok(m, l);
    return Number(m[1]);
  });
  assert.deepEqual(uids, Array.from({ length: count }, (_, i) => uids[0]! + i));
  assert.ok(lines.some((l) => l === '* STATUS INBOX (MESSAGES 200)'), lines.slice(-3).join('\n'));

  assert.match(await c.status('e1', 'EXAMINE INBOX'), /^e1 OK /);
  const fetched = await c.command('f1', 'UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  const subjects = fetched.filter((l) => l.startsWith('* ')).map((l) => /Subject: (.*)\r\n/.exec(l)![1]);
  assert.deepEqual(subjects, Array.from({ length: count }, (_, i) => subjectOf(i)));
  c.close();
});

test('a refused APPEND among pipelined ones is answered in its place; the others are stored', async () => {
  const c = await RawClient.login(server.tlsPort, 'piper@contoso.com');
  assert.match(await c.status('c0', 'CREATE Mixed'), /^c0 OK /);
  const raw = (i: number) => Buffer.from(message(`Mixed ${i}`, `Body ${i}\r\n`));
  const send: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const folder = i === 3 ? 'Nowhere' : 'Mixed';
    const m = i === 4 ? Buffer.alloc(0) : raw(i);
    send.push(Buffer.from(`m${i} APPEND ${folder} {${m.length}+}\r\n`), m, Buffer.from('\r\n'));
  }
  send.push(Buffer.from('n1 NOOP\r\n'));
  c.write(Buffer.concat(send));
  const tagged = (await c.until('n1', 30_000)).filter((l) => /^[mn]\d /.test(l));
  assert.deepEqual(tagged.map((l) => l.split(' ').slice(0, 2).join(' ')), ['m0 OK', 'm1 OK', 'm2 OK', 'm3 NO', 'm4 NO', 'm5 OK', 'n1 OK']);
  assert.match(tagged[3]!, /\[TRYCREATE\]/);
  const status = await c.command('s1', 'STATUS Mixed (MESSAGES UIDNEXT)');
  assert.ok(status.includes('* STATUS Mixed (MESSAGES 4 UIDNEXT 5)'), status.join('\n'));
  c.close();
});

test('large pipelined APPENDs: the session holds at most about 16 MB of them before it waits, and stores all in order', async () => {
  const c = await RawClient.login(server.tlsPort, 'piper@contoso.com');
  assert.match(await c.status('c0', 'CREATE Large'), /^c0 OK /);
  const count = 10;
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const raw = Buffer.from(message(`Large ${i}`, `${String(i).repeat(76)}\r\n`.repeat(40_000)));
    parts.push(Buffer.from(`l${i} APPEND Large {${raw.length}+}\r\n`), raw, Buffer.from('\r\n'));
  }
  c.write(Buffer.concat(parts));
  const tagged = (await c.until(`l${count - 1}`, 60_000)).filter((l) => /^l\d+ /.test(l));
  assert.deepEqual(tagged.map((l) => /^(l\d+) OK \[APPENDUID \d+ (\d+)\]/.exec(l)?.slice(1).join(' ')), Array.from({ length: count }, (_, i) => `l${i} ${i + 1}`));
  assert.match(await c.status('e1', 'EXAMINE Large'), /^e1 OK /);
  const fetched = await c.command('f1', 'UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  assert.deepEqual(fetched.filter((l) => l.startsWith('* ')).map((l) => /Subject: (.*)\r\n/.exec(l)![1]), Array.from({ length: count }, (_, i) => `Large ${i}`));
  c.close();
});

