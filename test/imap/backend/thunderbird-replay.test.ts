// Replays Thunderbird's recorded first sync (test/imap/protocol/fixtures/clients/) against the
// IMAP4 back end: every command Thunderbird sent after logon, with its recorded tag, must get the
// tagged status the recorded server gave, and the same kinds of untagged data. The connections
// run side by side, as Thunderbird runs them. What depends on the recorded server's data is
// adapted: the credentials, the message UIDs, and the folders (Dovecot's Sent/Junk/Trash are
// created next to Exchange's defaults).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { message, PASSWORD, RawClient, startServer, type TestServer } from './harness.ts';

const DIR = join(import.meta.dirname, '..', 'protocol', 'fixtures', 'clients');
const USER = 'tb@contoso.com';

interface Exchange {
  /** The client line as recorded. */
  line: string;
  tag: string;
  /** The recorded tagged status (OK/NO/BAD), or null when the connection ended first (IDLE). */
  status: string | null;
  /** Kinds of untagged data the recorded server sent for it: LIST, STATUS, FETCH, EXISTS, ... */
  untagged: Set<string>;
}

interface Connection {
  exchanges: Exchange[];
  /** UIDs of messages in the recorded server's FETCH responses. */
  uids: number[];
}

function untaggedKind(line: string): string | null {
  const m = /^\* (?:\d+ )?([A-Z]+)/.exec(line);
  return m ? m[1]! : null;
}

function readRecording(file: string): Connection[] {
  const connections: Connection[] = [];
  let conn: Connection | null = null;
  let open: Exchange[] = [];
  let skipSasl = false;
  for (const raw of readFileSync(join(DIR, file), 'utf8').split('\n')) {
    if (raw.startsWith('# ---- connection')) {
      conn = { exchanges: [], uids: [] };
      connections.push(conn);
      open = [];
      continue;
    }
    if (!conn) continue;
    if (raw.startsWith('C: ')) {
      const line = raw.slice(3);
      if (skipSasl) {
        skipSasl = false;
        continue;
      }
      if (/^DONE$/i.test(line)) continue; // handled with its IDLE
      const tag = line.split(' ')[0]!;
      const verb = line.split(' ')[1]?.toUpperCase();
      // The logon happens before the replay, with our credentials.
      if (verb === 'AUTHENTICATE' || verb === 'LOGIN') {
        skipSasl = verb === 'AUTHENTICATE';
        continue;
      }
      const exchange: Exchange = { line, tag, status: null, untagged: new Set() };
      conn.exchanges.push(exchange);
      open.push(exchange);
    } else if (raw.startsWith('S: ')) {
      const line = raw.slice(3);
      const uid = /^\* \d+ FETCH \(.*\bUID (\d+)/.exec(line);
      if (uid && !conn.uids.includes(Number(uid[1]))) conn.uids.push(Number(uid[1]));
      const current = open[open.length - 1];
      const kind = untaggedKind(line);
      if (current && kind && !['OK', 'NO', 'BAD', 'BYE'].includes(kind)) current.untagged.add(kind);
      const tagged = /^(\S+) (OK|NO|BAD)\b/.exec(line);
      if (tagged) {
        const done = open.find((e) => e.tag === tagged[1]);
        if (done) {
          done.status = tagged[2]!;
          open = open.filter((e) => e !== done);
        }
      }
    }
  }
  return connections;
}

/**
 * The recorded command with the recorded server's UIDs replaced by ours: the n-th message UID
 * it knew becomes our n-th, and `u:*` past its last message becomes past ours.
 */
function adapt(line: string, recordedUids: number[], ourUids: number[]): string {
  const m = /^(\S+ UID fetch )(\S+)( .*)$/i.exec(line);
  if (!m) return line;
  const last = Math.max(0, ...recordedUids);
  const set = m[2]!.split(',').map((part) => part.split(':').map((n) => {
    if (n === '*') return n;
    const i = recordedUids.indexOf(Number(n));
    if (i >= 0) return String(ourUids[i]);
    return Number(n) > last ? String(ourUids[ourUids.length - 1]! + Number(n) - last) : n;
  }).join(':')).join(',');
  return `${m[1]}${set}${m[3]}`;
}

let server: TestServer;
let ourUids: number[];

before(async () => {
  server = await startServer();
  await server.addUser('tb');
  // The recording's server had the special-use folders under Dovecot's names.
  const { store, mailbox } = await server.folderOf('tb');
  for (const name of ['Sent', 'Junk', 'Trash']) await store.createFolder(mailbox.id, name);
  ourUids = [await server.seed('tb', message('Validation tb-018b51c6816c48fe', 'Hello from the thunderbird test.\nToken: tb-018b51c6816c48fe', {
    'Message-ID': '<tb-018b51c6816c48fe@sender.example.net>', 'Content-Type': 'text/plain; charset=us-ascii',
  }))];
});

after(async () => {
  await server?.stop();
});

async function replay(conn: Connection, index: number): Promise<number> {
  const c = await RawClient.connect(server.tlsPort);
  try {
    const plain = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
    assert.match(await c.status('L1', `AUTHENTICATE PLAIN ${plain}`), /^L1 OK /);
    let replayed = 0;
    for (const e of conn.exchanges) {
      const line = adapt(e.line, conn.uids, ourUids);
      const what = `connection ${index + 1}: ${line}`;
      if (/^\S+ IDLE$/i.test(line)) {
        c.send(line);
        assert.equal(await c.line(), '+ idling', what);
        c.send('DONE');
      } else {
        c.send(line);
      }
      const lines = await c.until(e.tag);
      const tagged = lines.at(-1)!;
      // A command that ended the recording (IDLE when Thunderbird was killed) gets OK here.
      assert.equal(tagged.split(' ')[1], e.status ?? 'OK', `${what}\n${lines.join('\n')}`);
      const kinds = new Set(lines.map(untaggedKind).filter((k): k is string => k !== null));
      for (const kind of e.untagged) assert.ok(kinds.has(kind), `${what}: no untagged ${kind}\n${lines.join('\n')}`);
      replayed++;
    }
    return replayed;
  } finally {
    c.close();
  }
}

describe('Thunderbird recordings replayed', () => {
  const files = readdirSync(DIR).filter((f) => f.startsWith('thunderbird-') && f.endsWith('.txt')).sort();
  test('the corpus is there', () => assert.ok(files.length >= 2, files.join(', ')));
  for (const file of files) {
    test(file, async () => {
      const connections = readRecording(file);
      assert.ok(connections.length >= 2, 'connections parsed');
      const counts = await Promise.all(connections.map((conn, i) => replay(conn, i)));
      // Every recorded command was sent, none lost by the parser above.
      const declared = /^# Client commands used \(count\): (.*)$/m.exec(readFileSync(join(DIR, file), 'utf8'))![1]!;
      const total = declared.split(', ').map((e) => /^(.*) (\d+)$/.exec(e)!).filter((m) => m[1] !== 'AUTHENTICATE' && m[1] !== 'LOGIN')
        .reduce((n, m) => n + Number(m[2]), 0);
      assert.equal(counts.reduce((a, b) => a + b, 0), total);
    });
  }
});
