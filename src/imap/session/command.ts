// What a command module declares: its name, the states it runs in (RFC 3501 §3), and whether it
// addresses messages by sequence number, which decides when EXPUNGE may be announced.
import type { Command, CommandName } from '../protocol/index.ts';
import type { SessionContext, SessionState } from './context.ts';

export type { SessionState } from './context.ts';

export type CommandOf<K extends CommandName> = Extract<Command, { command: K }>;

export interface ImapCommand<K extends CommandName = CommandName> {
  name: K;
  states: readonly SessionState[];
  /**
   * True for FETCH, STORE, SEARCH and the like in their sequence-number form: while they run
   * the server must not send EXPUNGE (RFC 3501 §7.4.1), so removals wait for the next command.
   */
  usesSequenceNumbers?: boolean;
  run(session: SessionContext, command: CommandOf<K>): Promise<void>;
}

export function defineCommand<K extends CommandName>(command: ImapCommand<K>): ImapCommand<K> {
  return command;
}

/** A command refused with a tagged NO or BAD; the session turns it into the reply. */
export class CommandFailure extends Error {
  constructor(
    readonly status: 'NO' | 'BAD',
    readonly code: string | null,
    text: string,
  ) {
    super(text);
    this.name = 'CommandFailure';
  }
}

export const no = (text: string, code: string | null = null) => new CommandFailure('NO', code, text);
export const bad = (text: string, code: string | null = null) => new CommandFailure('BAD', code, text);
