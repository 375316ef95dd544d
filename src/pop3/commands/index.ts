// Every POP3 command the back end runs, by keyword. USER, PASS, AUTH, STLS and UTF8 belong to
// the AUTHORIZATION state and live in the front end.
import { capa } from './capa.ts';
import { dele } from './dele.ts';
import { list } from './list.ts';
import { noop } from './noop.ts';
import { quit } from './quit.ts';
import { retr } from './retr.ts';
import { rset } from './rset.ts';
import { stat } from './stat.ts';
import { top } from './top.ts';
import { uidl } from './uidl.ts';
import type { PopCommand } from './types.ts';

export type { PopCommand, TransactionContext } from './types.ts';

export const COMMANDS: ReadonlyMap<string, PopCommand> = new Map(
  [stat, list, retr, dele, noop, rset, quit, top, uidl, capa].map((c) => [c.name, c]),
);
