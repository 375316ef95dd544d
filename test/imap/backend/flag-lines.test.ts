// FETCH (UID FLAGS) of a folder larger than one kept run (src/imap/flag-lines.ts), over real
// sockets with several sessions on one mailbox: the kept lines must be, byte for byte, what the
// general FETCH path answers (the same items with RFC822.SIZE added, then taken out), after
// flag changes, expunges seen and not yet seen, appends, and for a session that holds \Recent.
// A keyword another session added reaches the client in FLAGS before a kept line shows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flagLines, RUN } from '../../../src/imap/flag-lines.ts';
import { message, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const open: RawClient[] = [];
/** 70 seeded messages, copied into the folder seven times: 8,960, more than one run. */
const TOTAL = 70 * 2 ** 7;

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, `${user}@contoso.com`);
  open.push(c);
  return c;
}

let tags = 0;
/** FETCH `set` (`items`) and the same with RFC822.SIZE, which goes the general way: both answers, the size taken out of the second. */
async function bothWays(c: RawClient, set: string, items: string): Promise<{ light: string[]; general: string[] }> {
  const light = await c.command(`l${++tags}`, `FETCH ${set} (${items})`);
  const general = await c.command(`g${tags}`, `FETCH ${set} (${items} RFC822.SIZE)`);
  return {
    light: light.slice(0, -1),
    general: general.slice(0, -1).map((l) => l.replace(/ ?RFC822\.SIZE \d+/, '').replace('( ', '(')),
  };
}

async function sameBothWays(c: RawClient, set: string, items: string, count: number): Promise<string[]> {
  const { light, general } = await bothWays(c, set, items);
  assert.equal(light.filter((l) => / FETCH \(/.test(l)).length, count, `${set} (${items}): ${light.length} lines`);
  // Compared whole first (a fast check), then line by line for a readable failure.
  if (light.join('\n') !== general.join('\n')) {
    const at = light.findIndex((l, i) => l !== general[i]);
    assert.equal(light[at], general[at], `${set} (${items}) differs at line ${at + 1}`);
  }
  assert.deepEqual(light, general);
  return light;
}

before(async () => {
  server = await startServer();
  await server.addUser('runs');
  await server.addUser('runs2');
  for (let i = 1; i <= 70; i++) {
    const flags = i % 7 === 0 ? ['\\Seen', '\\Flagged'] : i % 3 === 0 ? ['\\Seen'] : [];
    await server.seed('runs', message(`m${i}`, 'x'), { flags });
  }
  const { store, folder } = await server.folderOf('runs');
  for (let n = 70; n < TOTAL; n *= 2) await store.copy(folder.id, Array.from({ length: n }, (_, i) => i + 1), folder.id);
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

describe('FETCH (UID FLAGS) from kept runs of lines', () => {
  test('the same bytes as the general answer across runs, after changes, expunges and appends', async () => {
    // a is first to select: every message is \Recent to it, so its runs are kept apart.
    const a = await login('runs');
    assert.ok((await a.command('a1', 'SELECT INBOX')).includes(`* ${TOTAL} RECENT`));
    let keptBefore = flagLines.size;
    const recent = await sameBothWays(a, '1:*', 'UID FLAGS', TOTAL);
    assert.ok(recent.every((l) => l.includes('\\Recent')));
    assert.equal(flagLines.size, keptBefore + 2, 'two runs, every message \\Recent, kept');
    assert.deepEqual((await a.command('a2', 'FETCH 1:* (UID FLAGS)')).slice(0, -1), recent);
    keptBefore = flagLines.size;

    const b = await login('runs');
    await b.command('b1', 'SELECT INBOX');
    const first = await sameBothWays(b, '1:*', 'UID FLAGS', TOTAL);
    assert.ok(!first.some((l) => l.includes('\\Recent')));
    // Copies keep their flags: message k has those of seeded message ((k − 1) mod 70) + 1.
    const seeded = ((RUN + 1 - 1) % 70) + 1;
    assert.equal(first[RUN]!, `* ${RUN + 1} FETCH (UID ${RUN + 1} FLAGS (${seeded % 7 === 0 ? '\\Seen \\Flagged' : seeded % 3 === 0 ? '\\Seen' : ''}))`);
    assert.equal(flagLines.size, keptBefore + 2, 'two runs kept');
    // Kept, the second answer is the first.
    assert.deepEqual((await b.command('b2', 'FETCH 1:* (UID FLAGS)')).slice(0, -1), first);
    // Other item orders and sets that do not cover a whole run answer the same as the general way.
    await sameBothWays(b, '1:*', 'FLAGS', TOTAL);
    await sameBothWays(b, '1:*', 'FLAGS UID', TOTAL);
    await sameBothWays(b, `${RUN - 5}:${RUN + 5}`, 'UID FLAGS', 11);
    await sameBothWays(b, `${RUN + 1}:*`, 'UID FLAGS', TOTAL - RUN);

    // c changes a message in each run; b hears of it at NOOP, and its next FETCH shows it.
    const c = await login('runs');
    await c.command('c1', 'SELECT INBOX');
    await c.command('c2', `STORE 5,${RUN + 10} +FLAGS.SILENT (\\Answered)`);
    await b.command('b3', 'NOOP');
    const changed = await sameBothWays(b, '1:*', 'UID FLAGS', TOTAL);
    assert.match(changed[4]!, /^\* 5 FETCH \(UID 5 FLAGS \(\\Answered\)\)$/);
    assert.match(changed[RUN + 9]!, new RegExp(`^\\* ${RUN + 10} FETCH \\(UID ${RUN + 10} FLAGS \\(.*\\\\Answered`));

    // c expunges one message; until b's NOOP the view still holds it (FETCH may not renumber,
    // RFC 3501 §7.4.1), and both ways pass over the row the store no longer has.
    await c.command('c3', 'STORE 3 +FLAGS.SILENT (\\Deleted)');
    await c.command('c4', 'EXPUNGE');
    await b.command('b4', 'FETCH 1 (UID)');
    await sameBothWays(b, '1:*', 'UID FLAGS', TOTAL - 1);
    await b.command('b5', 'NOOP');
    const shifted = await sameBothWays(b, '1:*', 'UID FLAGS', TOTAL - 1);
    assert.match(shifted[2]!, /^\* 3 FETCH \(UID 4 /);
    assert.match(shifted[RUN]!, new RegExp(`^\\* ${RUN + 1} FETCH \\(UID ${RUN + 2} `));

    // A delivery grows the last run; the new message is \Recent to b, which hears of it first.
    await server.seed('runs', message('new', 'x'));
    await b.command('b6', 'NOOP');
    const keptBeforeMixed = flagLines.size;
    const grown = await sameBothWays(b, '1:*', 'UID FLAGS', TOTAL);
    assert.equal(flagLines.size, keptBeforeMixed, 'a run with some messages \\Recent and some not is not kept');
    assert.equal(grown.at(-1), `* ${TOTAL} FETCH (UID ${TOTAL + 1} FLAGS (\\Recent))`);
    assert.ok(!grown.slice(0, RUN).some((l) => l.includes('\\Recent')));
    // c holds none recent: its last run is made without \Recent, from the same store rows.
    await c.command('c6', 'NOOP');
    assert.equal((await sameBothWays(c, '1:*', 'UID FLAGS', TOTAL)).at(-1), `* ${TOTAL} FETCH (UID ${TOTAL + 1} FLAGS ())`);

    // MODSEQ asked for (CONDSTORE is on from then): another shape of line, kept apart.
    assert.ok((await c.command('c7', 'FETCH 1 (MODSEQ)')).some((l) => l.startsWith('* OK [HIGHESTMODSEQ ')));
    const withModseq = await sameBothWays(c, '1:*', 'UID FLAGS MODSEQ', TOTAL);
    assert.deepEqual(await sameBothWays(c, '1:*', 'UID FLAGS', TOTAL), withModseq, 'FLAGS brings MODSEQ once CONDSTORE is on (RFC 7162 §3.1.4.1)');
    assert.match(withModseq[0]!, /^\* 1 FETCH \(UID 1 FLAGS \(\) MODSEQ \(\d+\)\)$/);
    assert.ok(flagLines.heldBytes > 0 && flagLines.heldBytes < 32 * 1024 * 1024);
  });

  test('a keyword added by another session is announced in FLAGS before a kept line shows it', async () => {
    for (let i = 1; i <= 20; i++) await server.seed('runs2', message(`k${i}`, 'x'));
    const setter = await login('runs2');
    await setter.command('s1', 'SELECT INBOX');
    const b = await login('runs2');
    await b.command('b1', 'SELECT INBOX');
    const d = await login('runs2');
    const select = await d.command('d1', 'SELECT INBOX');
    assert.ok(!select.some((l) => l.includes('$Later')));
    await setter.command('s2', 'STORE 7 +FLAGS.SILENT ($Later)');
    // b hears of the keyword at NOOP, then makes (and keeps) the run's lines.
    await b.command('b2', 'NOOP');
    const made = await b.command('b3', 'FETCH 1:* (UID FLAGS)');
    assert.ok(made.includes('* 7 FETCH (UID 7 FLAGS ($Later))'), made.join('\n'));
    // d has not heard of it: the kept run answers, and FLAGS naming it comes first.
    const kept = await d.command('d2', 'FETCH 1:* (UID FLAGS)');
    const flags = kept.findIndex((l) => l.startsWith('* FLAGS (') && l.includes('$Later'));
    const shown = kept.indexOf('* 7 FETCH (UID 7 FLAGS ($Later))');
    assert.ok(flags >= 0 && shown > flags, kept.join('\n'));
    const lines = (answer: string[]) => answer.filter((l) => / FETCH \(UID /.test(l));
    assert.deepEqual(lines(kept), lines(made));
  });
});
