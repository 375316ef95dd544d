// Where the disk goes: one INBOX of the large-mailbox corpus (bench/imap/large-corpus.ts) appended
// through the store, the full-text index caught up, then each table and index of mailbox.db and
// index.db measured with SQLite's dbstat (bytes of pages, of which unused), against the mail's
// own size. Not part of npm test; the figures go to docs/benchmarks.md.
//
//   node --import tsx bench/store/disk.ts [messages=20000]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { largeCorpus } from '../imap/large-corpus.ts';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';

const count = Number(process.argv[2] ?? 20_000);
const corpus = largeCorpus(count);
const mailBytes = corpus.messages.reduce((n, m) => n + m.length, 0);

const folder = mkdtempSync(join(tmpdir(), 'mailroom-disk-'));
const store = await SqliteMailStore.open(folder);
await store.provisionMailbox('disk', 'en');
const inbox = (await store.folder('disk', 'INBOX'))!.id;
const t0 = performance.now();
for (let i = 0; i < corpus.messages.length; i += 256) {
  await Promise.all(corpus.messages.slice(i, i + 256).map((raw, j) => {
    const flags = [...(corpus.flagged?.[i + j] ? ['\\Flagged'] : []), ...(corpus.seen[i + j] ? ['\\Seen'] : [])];
    return store.append(inbox, { raw, flags, internalDate: new Date(Date.UTC(2026, 0, 1) + (i + j) * 1000) });
  }));
}
const appendSeconds = (performance.now() - t0) / 1000;
// A text search waits for the indexer to catch up with the fill.
await store.search(inbox, { type: 'text', value: 'zyzzyva' });
await store.close();

const mb = (n: number) => (n / 1e6).toFixed(1);
console.log(`${count} messages, ${mb(mailBytes)} MB of mail, appended in ${appendSeconds.toFixed(1)} s`);
let total = 0;
for (const file of ['mailbox.db', 'index.db']) {
  const path = join(folder, file);
  const db = new Database(path, { readonly: true });
  const rows = db.prepare(`SELECT name, sum(pgsize) AS bytes, sum(unused) AS unused, sum(payload) AS payload
                            FROM dbstat GROUP BY name ORDER BY bytes DESC`).all() as { name: string; bytes: number; unused: number; payload: number }[];
  const size = statSync(path).size;
  total += size;
  console.log(`\n${file}: ${mb(size)} MB (${(size / mailBytes).toFixed(2)}× the mail), page size ${db.pragma('page_size', { simple: true })}`);
  for (const r of rows.filter((r) => r.bytes >= 0.005 * size)) {
    console.log(`  ${r.name.padEnd(34)} ${mb(r.bytes).padStart(8)} MB  payload ${mb(r.payload).padStart(7)}  unused ${mb(r.unused).padStart(6)}`);
  }
  db.close();
}
const blobDir = join(folder, 'blobs');
let blobFiles = 0;
const walk = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) walk(join(dir, entry.name));
    else blobFiles += statSync(join(dir, entry.name)).size;
  }
};
try { walk(blobDir); } catch { /* no large messages */ }
total += blobFiles;
console.log(`\nblob files ${mb(blobFiles)} MB; all ${mb(total)} MB = ${(total / mailBytes).toFixed(2)}× the mail`);
rmSync(folder, { recursive: true, force: true });
