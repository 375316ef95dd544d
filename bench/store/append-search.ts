// Store benchmark: append throughput (one at a time and 8 at once) and SEARCH times in a large
// mailbox. Run: node --import tsx bench/store/append-search.ts [messages=100000]
// Not part of npm test; results go to docs/benchmarks.md.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';

const total = Number(process.argv[2] ?? 100_000);
const WORDS = ['budget', 'meeting', 'invoice', 'schedule', 'report', 'project', 'customer', 'review', 'release', 'travel'];
const ZH = ['會議', '預算', '報告', '客戶', '專案', '出差', '發票', '審核', '時程', '上線'];

let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

function message(i: number): Buffer {
  const from = i % 1000 === 7 ? 'zebra.sender@contoso.com' : `user${rand(500)}@example${rand(20)}.com`;
  const words = Array.from({ length: 60 }, () => (rand(3) === 0 ? ZH[rand(ZH.length)] : WORDS[rand(WORDS.length)])).join(' ');
  const marker = i % 1000 === 7 ? ' zebracorn 麒麟獸' : '';
  return Buffer.from(
    `From: Sender ${i} <${from}>\r\nTo: chris@contoso.com\r\nSubject: ${WORDS[rand(WORDS.length)]} ${i}\r\n` +
      `Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${i}@bench>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${words}${marker}\r\n`,
  );
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

const folder = mkdtempSync(join(tmpdir(), 'mailroom-bench-'));
const store = await SqliteMailStore.open(folder);
await store.provisionMailbox('bench', 'en');
const inbox = (await store.folder('bench', 'INBOX'))!.id;

// Single appends, each durable (fsync) before the next starts.
const single = 2000;
const [, singleMs] = await time(async () => {
  for (let i = 0; i < single; i++) await store.append(inbox, { raw: message(i) });
});
// 8 concurrent appenders.
const concurrent = 2000;
const [, concurrentMs] = await time(async () => {
  let next = single;
  const end = single + concurrent;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < end) await store.append(inbox, { raw: message(next++) });
  }));
});
console.log(`append, one at a time: ${(single / (singleMs / 1000)).toFixed(0)} messages/s`);
console.log(`append, 8 at once:     ${(concurrent / (concurrentMs / 1000)).toFixed(0)} messages/s`);

// Fill the mailbox to `total`.
const [, fillMs] = await time(async () => {
  let next = single + concurrent;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < total) await store.append(inbox, { raw: message(next++) });
  }));
});
console.log(`filled to ${total} messages in ${(fillMs / 1000).toFixed(1)} s (32 appenders: ${((total - single - concurrent) / (fillMs / 1000)).toFixed(0)} messages/s)`);

const searches: [string, Parameters<typeof store.search>[1]][] = [
  ['SEARCH TEXT "zebracorn" (English word, rare)', { type: 'text', value: 'zebracorn' }],
  ['SEARCH BODY "麒麟獸" (Chinese word, rare)', { type: 'body', value: '麒麟獸' }],
  ['SEARCH BODY "麒麟" (2-character Chinese)', { type: 'body', value: '麒麟' }],
  ['SEARCH FROM "zebra.sender@contoso.com" (a sender)', { type: 'header', field: 'from', value: 'zebra.sender@contoso.com' }],
  ['SEARCH BODY "會議" (common 2-character Chinese)', { type: 'body', value: '會議' }],
  ['SEARCH TEXT "budget" (common word)', { type: 'text', value: 'budget' }],
  ['SEARCH UNSEEN', { type: 'flag', flag: '\\Seen', present: false }],
];
// The first text search waits until the indexer has caught up with the fill.
const [, catchUpMs] = await time(() => store.search(inbox, { type: 'text', value: 'zebracorn' }));
console.log(`full-text index caught up ${(catchUpMs / 1000).toFixed(1)} s after the fill`);
for (const [name, key] of searches) {
  await store.search(inbox, key); // warm
  const runs: number[] = [];
  let hits = 0;
  for (let i = 0; i < 5; i++) {
    const [r, ms] = await time(() => store.search(inbox, key));
    runs.push(ms);
    hits = r.length;
  }
  runs.sort((a, b) => a - b);
  console.log(`${name}: median ${runs[2]!.toFixed(1)} ms (${hits} hits)`);
}
await store.close();
// Disk, once the WAL files are checkpointed into the databases by the close.
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const sizes = readdirSync(folder).map((name) => [name, statSync(join(folder, name)).size] as const).filter(([, size]) => size > 0);
console.log(`disk: ${sizes.map(([name, size]) => `${name} ${mb(size)}`).join(', ')}`);
rmSync(folder, { recursive: true, force: true });
