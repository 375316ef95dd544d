// Child process of crash.test.ts: appends self-checking messages to one mailbox as fast as it
// can, 8 at a time, and prints `ACK <uid> <sha256>` only after an append has resolved, which is
// the store's promise that the message is durable (DESIGN.md §2). The parent kills it with
// SIGKILL at an arbitrary moment.
//   node --import tsx test/store/crash-child.ts <folder> [run]
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { CRASH_MAILBOX, crashMessage, sha256Hex } from './crash-message.ts';

const folder = process.argv[2];
const run = process.argv[3] ?? String(process.pid);
if (!folder) {
  process.stderr.write('usage: crash-child.ts <folder> [run]\n');
  process.exit(2);
}

const store = await SqliteMailStore.open(folder);
await store.provisionMailbox(CRASH_MAILBOX, 'en-US');
const inbox = await store.folder(CRASH_MAILBOX, 'INBOX');
if (!inbox) throw new Error('INBOX missing after provisionMailbox');
process.stdout.write('READY\n');

let seq = 0;
async function worker(): Promise<never> {
  for (;;) {
    const raw = crashMessage(run, ++seq);
    const { uid } = await store.append(inbox!.id, { raw });
    // stdout to a pipe is synchronous on Linux, so the line is out before the next append.
    process.stdout.write(`ACK ${uid} ${sha256Hex(raw)}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, () => worker()));
