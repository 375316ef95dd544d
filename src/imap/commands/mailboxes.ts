// CREATE (with CREATE-SPECIAL-USE, RFC 6154 §3), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.
import { FolderError, type FolderRole } from '../../store/types.ts';
import { bad, defineCommand, no } from '../session/command.ts';
import type { FolderTarget, SessionContext } from '../session/context.ts';

const ROLE_OF: Record<string, FolderRole> = {
  '\\Sent': 'sent', '\\Trash': 'trash', '\\Drafts': 'drafts', '\\Junk': 'junk', '\\Archive': 'archive',
};

/** Store errors as IMAP answers (RFC 5530 response codes). */
async function folderOp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!(err instanceof FolderError)) throw err;
    const code = { exists: 'ALREADYEXISTS', 'not-found': 'NONEXISTENT', 'invalid-name': 'CANNOT', protected: 'CANNOT', 'has-children': 'INUSE' }[err.code];
    throw no(err.message, code);
  }
}

/** The folder a name points to, in the user's own mailbox or a shared one. */
async function target(session: SessionContext, wire: string): Promise<FolderTarget> {
  const raw = session.nameFromWire(wire);
  // A trailing delimiter only says the client wants children (RFC 3501 §6.3.3).
  const resolved = await session.resolve(raw.endsWith('/') ? raw.slice(0, -1) : raw);
  // "Other Users" and "Other Users/<alias>" are namespace levels, not folders.
  if (resolved.shared && resolved.folderName === '') throw no('That name is a level of the shared namespace, not a folder.', 'CANNOT');
  return resolved;
}

export const createCommand = defineCommand({
  name: 'CREATE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const { store, mailbox, folderName: name } = await target(session, command.args.mailbox);
    const uses = command.args.specialUse;
    if (uses.length > 1) throw no('A folder can have one special use.', 'USEATTR');
    const role = uses[0] ? ROLE_OF[uses[0]] : undefined;
    if (uses[0] && !role) throw no(`${uses[0]} is not a special use this server supports.`, 'USEATTR');
    const id = mailbox.id;
    await folderOp(async () => {
      // Missing parents are created too (RFC 3501 §6.3.3 says a server SHOULD).
      const levels = name.split('/');
      for (let i = 1; i < levels.length; i++) {
        const parent = levels.slice(0, i).join('/');
        if (!(await store.folder(id, parent))) await store.createFolder(id, parent);
      }
      await store.createFolder(id, name, role ? { role } : {});
    });
    await session.complete(command, 'CREATE completed.');
  },
});

export const deleteCommand = defineCommand({
  name: 'DELETE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const { store, mailbox, folderName: name } = await target(session, command.args.mailbox);
    const folder = await store.folder(mailbox.id, name);
    await folderOp(() => store.deleteFolder(mailbox.id, name));
    // Deleting the selected folder leaves nothing selected; a DELETE that failed (INBOX, a
    // folder with subfolders) leaves the selection alone. Compared by id: a RENAME may have
    // changed the selected folder's name since SELECT.
    if (folder && session.selection?.folder.id === folder.id) session.unselect();
    await session.complete(command, 'DELETE completed.');
  },
});

export const renameCommand = defineCommand({
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const from = await target(session, command.args.from);
    const to = await target(session, command.args.to);
    if (!from.folderName || !to.folderName) throw bad('Folder names cannot be empty.');
    if (from.mailbox.id !== to.mailbox.id) throw no('A folder cannot be renamed into another mailbox.', 'CANNOT');
    await folderOp(() => from.store.renameFolder(from.mailbox.id, from.folderName, to.folderName));
    await session.complete(command, 'RENAME completed.');
  },
});

/**
 * The subscription list is the user's own (RFC 3501 §6.3.6), kept with their mailbox under the
 * names their client sees, shared folders included ("Other Users/<alias>/...").
 */
async function setSubscribed(session: SessionContext, name: string, subscribed: boolean): Promise<boolean> {
  return session.home.store.setSubscribed(session.home.mailbox.id, name, subscribed);
}

export const subscribeCommand = defineCommand({
  name: 'SUBSCRIBE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const t = await target(session, command.args.mailbox);
    // Only a folder that exists can be subscribed (RFC 3501 §6.3.6 lets the server refuse a name).
    const folder = await t.store.folder(t.mailbox.id, t.folderName);
    if (!folder || (folder.hidden && !session.settings().ShowHiddenFoldersEnabled)) throw no(`There is no folder '${t.folderName}'.`, 'NONEXISTENT');
    await setSubscribed(session, session.clientName(t, folder.name), true);
    await session.complete(command, 'SUBSCRIBE completed.');
  },
});

export const unsubscribeCommand = defineCommand({
  name: 'UNSUBSCRIBE',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const raw = session.nameFromWire(command.args.mailbox).replace(/\/$/, '');
    // A name stays subscribed after its folder, or the access to a shared mailbox, is gone;
    // it can still be taken off the list under the name LSUB showed.
    const t = await session.resolve(raw).catch(() => null);
    const name = t && !(t.shared && t.folderName === '') ? session.clientName(t, t.folderName) : raw;
    if (await setSubscribed(session, name, false)) return session.complete(command, 'UNSUBSCRIBE completed.');
    const exists = t !== null && t.folderName !== '' && (await t.store.folder(t.mailbox.id, t.folderName)) !== undefined;
    if (!exists) throw no(`'${name}' is not subscribed.`, 'NONEXISTENT');
    await session.complete(command, 'UNSUBSCRIBE completed.');
  },
});
