// Where each mailbox database lives and how it is opened: the SQLite engine keeps one folder
// per database under <data>/databases/<name>/.
import { join } from 'node:path';
import { dataFolder } from '../lib/env.ts';
import { SqliteMailStore } from './sqlite/engine.ts';
import type { MailStore, StoreOptions } from './types.ts';

export function databaseFolder(databaseName: string): string {
  // Database names are admin-chosen text ("Mailbox Database MAIL01"); keep them readable but safe as a path.
  const safe = databaseName.replace(/[^\p{L}\p{N} ._-]/gu, '_').trim() || 'database';
  return join(dataFolder(), 'databases', safe);
}

export async function openMailStore(databaseName: string, engine: 'sqlite' | 'postgres', options: StoreOptions): Promise<MailStore> {
  if (engine !== 'sqlite') throw new Error(`The ${engine} mailbox engine is not available in this build.`);
  return SqliteMailStore.open(databaseFolder(databaseName), options);
}
