// The parts of smtp-server's connection and parser objects that connection-hooks.ts,
// chunking.ts and scram-auth.ts reach into (smtp-server 3.21 has no option for them). Typed in
// one module of their own, so the three installers depend on it and not on each other;
// connection-hooks.ts checks the methods exist when a connection opens, and
// test/smtp/connectors.test.ts and chunking.test.ts fail if an upgrade changes them.
import type { Socket } from 'node:net';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

export type CommandHandler = (this: SmtpConnectionInternals, command: Buffer, callback: () => void) => void;

/** The part of smtp-server's SMTPStream (the command/data parser) CHUNKING relies on. */
export interface SmtpParserInternals {
  _dataMode: boolean;
  _feedDataStream(chunk: Buffer, done: (err?: Error) => void): void;
  _write(chunk: Buffer, encoding: string, done: (err?: Error) => void): void;
}

/** The part of smtp-server's SMTPConnection the hooks rely on. */
export interface SmtpConnectionInternals {
  id: string;
  session: SMTPServerSession;
  send(code: number, data?: string | string[], context?: string | false): void;
  _sendGreeting(): void;
  _parser: SmtpParserInternals | false;
  _createParser(): SmtpParserInternals;
  _server: { onData(stream: SMTPServerDataStream | NodeJS.ReadableStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void };
  _resetSession(): void;
  _transmissionType(): string;
  _transactionCounter: number;
  _unrecognizedCommands: number;
  _nextHandler: ((command: Buffer, callback: () => void) => void) | false;
  _socket: Socket;
  /** Every command line the parser completes goes through here. */
  _onCommand(command: Buffer, callback: () => void): void;
  /** The idle timeout's handler: 421 unless a reply of ours is what the client waits for. */
  _onTimeout(): void;
  /** (Re)arms the idle timeout on the socket; called at the start, after STARTTLS, by _onTimeout. */
  _armTimeout(socket?: Socket): void;
  _validateMailParams(parsed: { args?: Record<string, string | boolean> }): unknown;
  handler_EHLO: CommandHandler;
  handler_DATA: CommandHandler;
  handler_AUTH: CommandHandler;
  handler_BDAT?: CommandHandler;
}
