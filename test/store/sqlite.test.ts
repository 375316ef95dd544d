// The SQLite engine against the MailStore conformance suite: each block gets a fresh temporary
// folder (database file and content-addressed blobs), and `reopen` closes the store and opens the
// same folder again with the same options, as a restarted back end would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import type { MailStore, StoreOptions } from '../../src/store/types.ts';
import { mailStoreConformance } from './conformance.ts';
import { searchConformance } from './search-conformance.ts';

mailStoreConformance('sqlite', async (options?: StoreOptions) => {
  const folder = mkdtempSync(join(tmpdir(), 'mailroom-store-'));
  let current: MailStore = await SqliteMailStore.open(folder, options);
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await SqliteMailStore.open(folder, options);
      return current;
    },
    cleanup: async () => {
      await current.close().catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
    },
  };
});

// Twice: small folders answer text keys message by message, large ones through the index; a
// limit of -1 sends every folder through the index.
for (const [name, textScanLimit] of [['sqlite, message by message', undefined], ['sqlite, through the index', -1]] as const) {
  searchConformance(name, async (options?: StoreOptions) => {
    const folder = mkdtempSync(join(tmpdir(), 'mailroom-search-'));
    const store = await SqliteMailStore.open(folder, { ...options, ...(textScanLimit === undefined ? {} : { textScanLimit }) });
    return { store, cleanup: async () => { await store.close(); rmSync(folder, { recursive: true, force: true }); } };
  });
}
