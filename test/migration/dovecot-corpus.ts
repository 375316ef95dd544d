// Puts the migration corpus into a Dovecot account over IMAP, and reads back what that account
// holds (folders, UIDVALIDITY, UIDs, flags, INTERNALDATE, bytes) with a separate client, so
// tests compare an import or an export with what the server itself says.
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import type { MailStore } from '../../src/store/types.ts';
import type { CorpusFolder } from './corpus.ts';

export interface ImapAccount {
  port: number;
  user: string;
  password: string;
}

export interface ServerMessage {
  uid: number;
  flags: string[];
  internalDate: number;
  raw: Buffer;
}

export interface ServerFolder {
  /** Levels, split at the server's delimiter. */
  path: string[];
  specialUse: string | undefined;
  uidValidity: number;
  uidNext: number;
  messages: ServerMessage[];
}

async function client(account: ImapAccount): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: account.port, secure: false, doSTARTTLS: false, auth: { user: account.user, pass: account.password }, logger: false });
  await c.connect();
  return c;
}

export async function fillAccount(account: ImapAccount, corpus: CorpusFolder[]): Promise<void> {
  const c = await client(account);
  try {
    for (const folder of corpus) {
      if (folder.path[0] !== 'INBOX' || folder.path.length > 1) {
        const exists = (await c.list()).some((l) => l.path.split(l.delimiter).join('\u0000') === folder.path.join('\u0000'));
        if (!exists) await c.mailboxCreate(folder.path);
        await c.mailboxSubscribe(folder.path);
      }
      for (const m of folder.messages) await c.append(folder.path, m.raw, m.flags, m.internalDate);
    }
  } finally {
    await c.logout();
  }
}

const sorted = (flags: Iterable<string>) => [...flags].filter((f) => f !== '\\Recent').sort();

export async function readAccount(account: ImapAccount): Promise<ServerFolder[]> {
  const c = await client(account);
  try {
    const out: ServerFolder[] = [];
    for (const entry of await c.list()) {
      if (entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent')) continue;
      const box = await c.mailboxOpen(entry.path, { readOnly: true });
      const messages: ServerMessage[] = [];
      if (box.exists > 0) {
        for await (const m of c.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
          messages.push({ uid: m.uid, flags: sorted(m.flags ?? []), internalDate: new Date(m.internalDate!).getTime(), raw: m.source! });
        }
      }
      out.push({
        path: entry.path.toUpperCase() === 'INBOX' ? ['INBOX'] : entry.path.split(entry.delimiter),
        specialUse: entry.specialUse, uidValidity: Number(box.uidValidity), uidNext: box.uidNext, messages: messages.sort((a, b) => a.uid - b.uid),
      });
    }
    return out.sort((a, b) => a.path.join('/').localeCompare(b.path.join('/')));
  } finally {
    await c.logout();
  }
}

/** A Mailroom mailbox's folders of these names, in the same shape as readAccount's. */
export async function mailboxContents(store: MailStore, mailboxId: string, names: string[]): Promise<ServerFolder[]> {
  const out: ServerFolder[] = [];
  for (const name of names) {
    const f = await store.folder(mailboxId, name);
    assert.ok(f, `no folder ${name} in the mailbox: ${(await store.folders(mailboxId)).map((x) => x.name).join(', ')}`);
    const messages = [];
    for (const m of await store.messages(f.id)) {
      messages.push({ uid: m.uid, flags: m.flags.filter((x) => x !== '\\Recent').sort(), internalDate: m.internalDate.getTime(), raw: await store.readBlob(m.blobId) });
    }
    out.push({ path: name.split('/'), specialUse: f.role ?? undefined, uidValidity: f.uidValidity, uidNext: f.uidNext, messages });
  }
  return out;
}

/** Folder by folder: UIDVALIDITY, UIDs, and each message's flags, INTERNALDATE and bytes; returns how many messages. */
export function assertSameFolders(actual: ServerFolder[], source: ServerFolder[], where: string): number {
  let compared = 0;
  assert.equal(actual.length, source.length, where);
  for (const [i, s] of source.entries()) {
    const a = actual[i]!;
    const name = `${where} ${s.path.join('/')}`;
    assert.equal(a.uidValidity, s.uidValidity, `${name}: UIDVALIDITY`);
    assert.ok(a.uidNext >= s.uidNext, `${name}: UIDNEXT ${a.uidNext} < ${s.uidNext}`);
    assert.deepEqual(a.messages.map((m) => m.uid), s.messages.map((m) => m.uid), `${name}: UIDs`);
    for (const [j, m] of s.messages.entries()) {
      assert.deepEqual(a.messages[j]!.flags, m.flags, `${name} UID ${m.uid}: flags`);
      assert.equal(a.messages[j]!.internalDate, m.internalDate, `${name} UID ${m.uid}: INTERNALDATE`);
      assert.ok(a.messages[j]!.raw.equals(m.raw), `${name} UID ${m.uid}: bytes`);
      compared++;
    }
  }
  return compared;
}
