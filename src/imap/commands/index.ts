// The command registry: one module per command (or per family), each declaring its states.
import type { CommandName } from '../protocol/index.ts';
import type { ImapCommand } from '../session/command.ts';
import { appendCommand } from './append.ts';
import { capabilityCommand } from './capability.ts';
import { closeCommand, unselectCommand } from './close.ts';
import { compressCommand } from './compress.ts';
import { copyCommand, moveCommand } from './copy.ts';
import { enableCommand } from './enable.ts';
import { expungeCommand } from './expunge.ts';
import { fetchCommand } from './fetch.ts';
import { idCommand } from './id.ts';
import { idleCommand } from './idle.ts';
import { listCommand, lsubCommand, xlistCommand } from './list.ts';
import { logoutCommand } from './logout.ts';
import { createCommand, deleteCommand, renameCommand, subscribeCommand, unsubscribeCommand } from './mailboxes.ts';
import { namespaceCommand } from './namespace.ts';
import { checkCommand, noopCommand } from './noop.ts';
import { searchCommand } from './search.ts';
import { getQuotaCommand, getQuotaRootCommand, setQuotaCommand } from './quota.ts';
import { examineCommand, selectCommand } from './select.ts';
import { sortCommand } from './sort.ts';
import { statusCommand } from './status.ts';
import { storeCommand } from './store.ts';
import { threadCommand } from './thread.ts';

const ALL: ImapCommand<any>[] = [
  capabilityCommand, noopCommand, checkCommand, logoutCommand, idCommand, enableCommand, namespaceCommand,
  selectCommand, examineCommand, closeCommand, unselectCommand, expungeCommand,
  fetchCommand, storeCommand, copyCommand, moveCommand, searchCommand, appendCommand, idleCommand,
  listCommand, lsubCommand, xlistCommand, statusCommand,
  createCommand, deleteCommand, renameCommand, subscribeCommand, unsubscribeCommand,
  sortCommand, threadCommand, getQuotaCommand, getQuotaRootCommand, setQuotaCommand, compressCommand,
];

export const COMMANDS: ReadonlyMap<CommandName, ImapCommand<any>> = new Map(ALL.map((c) => [c.name, c]));
