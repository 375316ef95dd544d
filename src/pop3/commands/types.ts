// What a TRANSACTION-state command sees of its session, and how a command declares itself.
import type { Maildrop, MaildropMessage } from '../maildrop.ts';
import type { PopState } from '../protocol.ts';

export interface TransactionContext {
  readonly maildrop: Maildrop;
  /** One status line; CRLF is added. */
  reply(line: string): void;
  /** A multi-line answer: the status line, lines that never start with ".", the terminator. */
  replyLines(status: string, lines: Iterable<string>): void;
  /**
   * Streams a message (RETR), or its header and `bodyLines` lines of body (TOP), after
   * `status`, dot-stuffed and terminated.
   */
  sendMessage(status: string, message: MaildropMessage, bodyLines?: number): Promise<void>;
  /** The CAPA list for this connection. */
  capabilities(): string[];
  /** Enters UPDATE: removes the messages marked deleted, answers and closes. */
  quit(): Promise<void>;
}

export interface PopCommand {
  name: string;
  /** RFC 1939 states the command is valid in; anywhere else it gets "not valid in this state". */
  states: readonly PopState[];
  run(session: TransactionContext, args: number[]): void | Promise<void>;
}

/** The answer for a number that names no message, or one marked deleted (RFC 1939 §5). */
export function noSuchMessage(session: TransactionContext, n: number): string {
  return session.maildrop.isDeleted(n) ? `-ERR Message ${n} has been deleted.` : '-ERR No such message.';
}
