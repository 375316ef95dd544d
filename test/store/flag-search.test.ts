// SEARCH by flags alone answered from the folder's kept map (engine.search, FolderMap.uidsWhere)
// must equal the SQL answer: random flags and random flag keys, compared with a second
// connection to the same database that holds no map and so answers from the rows, across flag
// changes, expunges and appends made through either connection. The key tests themselves get a
// table test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { flagsMatch, testsFlagsOnly, type SearchKey } from '../../src/store/search.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const flag = (name: string, present = true): SearchKey => ({ type: 'flag', flag: name, present });

describe('flag keys', () => {
  test('which keys test flags alone, and what they match', () => {
    assert.ok(testsFlagsOnly(flag('\\Seen', false)));
    assert.ok(testsFlagsOnly({ type: 'and', keys: [flag('\\Seen', false), { type: 'not', key: flag('\\Deleted') }] }));
    assert.ok(testsFlagsOnly({ type: 'or', left: flag('\\Flagged'), right: flag('$Later') }));
    assert.ok(!testsFlagsOnly({ type: 'and', keys: [flag('\\Seen'), { type: 'uid', ranges: [[1, 5]] }] }));
    assert.ok(!testsFlagsOnly({ type: 'or', left: flag('\\Seen'), right: { type: 'recent', present: true } }));
    assert.ok(!testsFlagsOnly({ type: 'all' }));
    const cases: [SearchKey, string[], boolean][] = [
      [flag('\\Seen'), ['\\Seen'], true],
      [flag('\\Seen', false), ['\\Seen'], false],
      [flag('\\seen'), ['\\Seen'], true],
      // Keywords compare without regard to case.
      [flag('$later'), ['$Later'], true],
      [flag('$Later'), ['$LaterOn'], false],
      [{ type: 'not', key: flag('\\Deleted') }, [], true],
      [{ type: 'and', keys: [flag('\\Seen', false), flag('\\Deleted', false)] }, ['\\Flagged'], true],
      [{ type: 'and', keys: [] }, [], true],
      [{ type: 'or', left: flag('\\Answered'), right: flag('\\Draft') }, ['\\Draft'], true],
      [{ type: 'or', left: flag('\\Answered'), right: flag('\\Draft') }, ['\\Seen'], false],
    ];
    for (const [key, flags, expected] of cases) assert.equal(flagsMatch(key, flags), expected, `${JSON.stringify(key)} on ${flags.join(' ')}`);
  });
});

const FLAGS = ['\\Seen', '\\Flagged', '\\Deleted', '\\Answered', '\\Draft', '$Later', 'Junk', '$label1'];

function randomFlagKey(random: () => number, depth = 0): SearchKey {
  const roll = depth > 2 ? 0 : randomInt(random, 5);
  if (roll === 0 || roll === 1) {
    // Any case: keys name flags as the client wrote them.
    const name = pick(random, FLAGS);
    return flag(random() < 0.2 ? name.toUpperCase() : name, random() < 0.5);
  }
  if (roll === 2) return { type: 'not', key: randomFlagKey(random, depth + 1) };
  if (roll === 3) return { type: 'or', left: randomFlagKey(random, depth + 1), right: randomFlagKey(random, depth + 1) };
  return { type: 'and', keys: Array.from({ length: 1 + randomInt(random, 3) }, () => randomFlagKey(random, depth + 1)) };
}

test('flag searches from the kept map equal the answers from the rows, across changes from both connections', async () => {
  const seed = Number(process.env.FLAG_SEARCH_SEED ?? 3501);
  const random = prng(seed);
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-flag-search-'));
  const withMap = await SqliteMailStore.open(folder);
  const fromRows = await SqliteMailStore.open(folder);
  try {
    await withMap.provisionMailbox('m', 'en-US');
    const inbox = (await withMap.folder('m', 'INBOX'))!.id;
    const append = async (store: SqliteMailStore, n: number) => {
      await Promise.all(Array.from({ length: n }, (_, i) => store.append(inbox, {
        raw: Buffer.from(`Subject: m${i}\r\n\r\nx\r\n`),
        flags: FLAGS.filter(() => random() < 0.25),
      })));
    };
    await append(withMap, 300);
    // A FETCH of flags makes the engine keep the folder's map with its flag columns.
    await withMap.flagColumns(inbox, { fromUid: 1, toUid: 0xffffffff });
    const compare = async (when: string) => {
      for (let i = 0; i < 40; i++) {
        const key = randomFlagKey(random);
        assert.deepEqual(await withMap.search(inbox, key), await fromRows.search(inbox, key), `seed ${seed}, ${when}: ${JSON.stringify(key)}`);
      }
    };
    await compare('as filled');
    for (let round = 0; round < 6; round++) {
      // Changes through either connection: the map is brought forward from the change log.
      const store = round % 2 === 0 ? withMap : fromRows;
      const uids = (await store.messages(inbox)).map((m) => m.uid);
      await store.storeFlags(inbox, uids.filter(() => random() < 0.2), pick(random, ['add', 'remove', 'replace'] as const), FLAGS.filter(() => random() < 0.3));
      await store.expunge(inbox, uids.filter(() => random() < 0.05));
      await append(store, randomInt(random, 20));
      await compare(`round ${round}, changed through ${round % 2 === 0 ? 'the connection with the map' : 'the other connection'}`);
    }
  } finally {
    await withMap.close();
    await fromRows.close();
    rmSync(folder, { recursive: true, force: true });
  }
});
