// The selected-mailbox view against a real store: sequence numbers, and the updates a session
// announces after other sessions change the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SelectedView } from '../../src/imap/selected-view.ts';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { prng, randomInt } from '../support/random.ts';

const msg = (n: number) => Buffer.from(`Subject: ${n}\r\n\r\nbody ${n}\r\n`);

test('sync announces EXISTS, flag changes and EXPUNGE in a valid order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-view-'));
  const store = await SqliteMailStore.open(dir);
  try {
    await store.provisionMailbox('m', 'en');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    for (let i = 1; i <= 5; i++) await store.append(inbox, { raw: msg(i) });
    const view = new SelectedView(inbox, false);
    view.load(await store.snapshot(inbox));
    assert.equal(view.exists, 5);
    assert.deepEqual([view.uidAt(1), view.uidAt(5), view.seqOf(3), view.seqOf(99)], [1, 5, 3, 0]);

    // Another session: flags on 2, expunge 2 and 4, two new messages.
    await store.storeFlags(inbox, [2, 3], 'add', ['\\Seen']);
    await store.expunge(inbox, [2, 4]);
    await store.append(inbox, { raw: msg(6) });
    await store.append(inbox, { raw: msg(7) });

    // During a command that uses sequence numbers, expunges wait.
    const held = view.apply(await store.changesSince(inbox, view.highestModseq), false);
    assert.deepEqual(held.expunged, []);
    assert.equal(held.exists, 7);
    assert.deepEqual(held.flagChanges.map((f) => [f.seq, f.uid, f.flags]), [[2, 2, []], [3, 3, ['\\Seen']]].filter(([, uid]) => uid === 3));

    const update = view.apply(await store.changesSince(inbox, view.highestModseq), true);
    // Highest first: removing seq 4 (UID 4) does not renumber seq 2 (UID 2).
    assert.deepEqual(update.expunged, [4, 2]);
    assert.deepEqual(update.vanished, [2, 4]);
    assert.equal(update.exists, 5);
    assert.deepEqual(view.allUids(), [1, 3, 5, 6, 7]);
    assert.equal(update.highestModseq, (await store.status(inbox)).highestModseq);

    // Nothing new: nothing to say.
    const quiet = view.apply(await store.changesSince(inbox, view.highestModseq), true);
    assert.deepEqual([quiet.expunged, quiet.exists, quiet.flagChanges], [[], null, []]);

    // Flags this session announced itself are not repeated.
    const r = await store.storeFlags(inbox, [1], 'add', ['\\Flagged']);
    view.noteFlags(1, r.changed[0]!.modseq);
    assert.deepEqual(view.apply(await store.changesSince(inbox, view.highestModseq), true).flagChanges, []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the view knows which keywords the client was told about, and says when one is new', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-view-'));
  const store = await SqliteMailStore.open(dir);
  try {
    await store.provisionMailbox('m', 'en');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    await store.append(inbox, { raw: msg(1), flags: ['\\Seen', '$Work'] });
    const view = new SelectedView(inbox, false);
    view.load(await store.snapshot(inbox));
    assert.deepEqual(view.keywords(), ['$Work']);

    // Another session adds a keyword to the message, and appends one with another keyword.
    await store.storeFlags(inbox, [1], 'add', ['$Todo']);
    await store.append(inbox, { raw: msg(2), flags: ['$Later'] });
    const update = view.apply(await store.changesSince(inbox, view.highestModseq), true);
    assert.equal(update.keywordsAdded, true);
    assert.deepEqual(view.keywords(), ['$Work', '$Todo', '$Later']);

    // Known keywords, in any case, are not new; removed ones stay known.
    await store.storeFlags(inbox, [1, 2], 'replace', ['$work', '$LATER']);
    assert.equal(view.apply(await store.changesSince(inbox, view.highestModseq), true).keywordsAdded, false);
    assert.deepEqual(view.keywords(), ['$Work', '$Todo', '$Later']);
    assert.equal(view.admitKeywords(['\\Seen', '\\Recent', '$todo']), false);
    assert.equal(view.admitKeywords(['$New']), true);
    assert.equal(view.admitKeywords(['$New']), false);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sequence map follows random expunges and arrivals, held back or not, as the store has them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-view-'));
  const store = await SqliteMailStore.open(dir);
  try {
    await store.provisionMailbox('m', 'en');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    for (let i = 1; i <= 40; i++) await store.append(inbox, { raw: msg(i) });
    const view = new SelectedView(inbox, false);
    view.load(await store.snapshot(inbox));
    const random = prng(1515);
    // What the client knows: sequence numbers as the EXPUNGE and EXISTS responses left them.
    let client = view.allUids();
    for (let step = 0; step < 60; step++) {
      const held = view.allUids();
      const gone = held.filter(() => random() < 0.1);
      if (gone.length > 0) await store.expunge(inbox, gone);
      const arrivals = randomInt(random, 4);
      for (let i = 0; i < arrivals; i++) await store.append(inbox, { raw: msg(100 + step * 4 + i) });
      const allowExpunge = random() < 0.6;
      const update = view.apply(await store.changesSince(inbox, view.highestModseq), allowExpunge);
      for (const seq of update.expunged) client.splice(seq - 1, 1);
      if (update.exists !== null) {
        const stored = view.allUids();
        assert.equal(update.exists, stored.length);
        client = [...client, ...stored.slice(client.length)];
      }
      assert.deepEqual(client, view.allUids(), `step ${step}`);
      for (const [i, uid] of client.entries()) assert.equal(view.seqOf(uid), i + 1);
      // heldUids, by a walk (long lists) or by binary search (short ones), keeps what seqOf finds.
      const asked = Array.from({ length: view.maxUid() + 3 }, (_, u) => u).filter(() => random() < (step % 2 === 0 ? 0.9 : 0.02));
      assert.deepEqual(view.heldUids(asked), asked.filter((uid) => view.seqOf(uid) > 0), `heldUids at step ${step}`);
      if (allowExpunge) assert.deepEqual(view.allUids(), Array.from((await store.snapshot(inbox)).uids), `view equals the store at step ${step}`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the session's own write moves the view on only when nothing else came between", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-view-own-'));
  const store = await SqliteMailStore.open(dir);
  try {
    await store.provisionMailbox('m', 'en');
    const inbox = (await store.folder('m', 'INBOX'))!.id;
    for (let i = 1; i <= 4; i++) await store.append(inbox, { raw: msg(i) });
    const view = new SelectedView(inbox, false);
    view.load(await store.snapshot(inbox));
    const start = view.highestModseq;

    // Its own STORE, the next MODSEQ: in step without reading it back.
    const own = await store.storeFlags(inbox, [1, 2], 'add', ['\\Seen']);
    const modseq = own.changed[0]!.modseq;
    assert.ok(own.changed.every((c) => c.modseq === modseq), 'one MODSEQ for the operation');
    assert.equal(modseq, start + 1);
    for (const c of own.changed) view.noteFlags(c.uid, c.modseq);
    view.noteOwnWrite(modseq);
    assert.equal(view.highestModseq, modseq);
    assert.equal((await store.flagChangesSince(inbox, view.highestModseq)).changed.length, 0);

    // Another session's change comes first: the own write after it leaves the view where it
    // was, and the sync reports the other change (and not the session's own).
    await store.storeFlags(inbox, [3], 'add', ['\\Flagged']);
    const second = await store.storeFlags(inbox, [4], 'add', ['\\Answered']);
    view.noteFlags(4, second.changed[0]!.modseq);
    view.noteOwnWrite(second.changed[0]!.modseq);
    assert.equal(view.highestModseq, modseq);
    const update = view.apply(await store.flagChangesSince(inbox, view.highestModseq), true);
    assert.deepEqual(update.flagChanges.map((f) => [f.uid, f.flags]), [[3, ['\\Flagged']]]);
    assert.equal(view.highestModseq, second.changed[0]!.modseq);

    // An expunge held back (a command using sequence numbers ran) keeps the view's MODSEQ: an
    // own write after it does not skip over the expunge.
    await store.expunge(inbox, [2]);
    const held = view.apply(await store.flagChangesSince(inbox, view.highestModseq), false);
    assert.deepEqual(held.expunged, []);
    const third = await store.storeFlags(inbox, [1], 'add', ['$Done']);
    view.noteOwnWrite(third.changed[0]!.modseq);
    assert.deepEqual(view.apply(await store.flagChangesSince(inbox, view.highestModseq), true).expunged, [2]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
