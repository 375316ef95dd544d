// The SMTP receive protocol log of connectors with ProtocolLoggingLevel Verbose (the default on
// "Default Frontend"), in Exchange's format so that scripts written for it read ours:
//
//   #Software: Mailroom
//   #Log-type: SMTP Receive Protocol Log
//   #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
//
// Events: + connect, - disconnect, > sent, < received, * information. One file per day,
// <data>/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECVyyyyMMdd-N.LOG. Message contents are never
// logged, and AUTH arguments reach this file already replaced by smtp-server ("/* secured */").
import { closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { csvCell } from '../lib/csv.ts';
import { logonNameTag } from '../lib/log.ts';

export const RECEIVE_LOG_FIELDS = ['date-time', 'connector-id', 'session-id', 'sequence-number', 'local-endpoint', 'remote-endpoint', 'event', 'data', 'context'] as const;

export type ReceiveLogEvent = '+' | '-' | '>' | '<' | '*';

export interface ReceiveLogRecord {
  connector: string;
  session: string;
  sequence: number;
  local: string;
  remote: string;
  event: ReceiveLogEvent;
  data: string;
  context?: string;
  date?: Date;
}

export function receiveLogFolder(dataFolder: string): string {
  return join(dataFolder, 'Logs', 'FrontEnd', 'ProtocolLog', 'SmtpReceive');
}

export class SmtpReceiveLog {
  private fd: number | null = null;
  private day = '';
  private readonly pending: { date: Date; line: string }[] = [];

  constructor(
    private readonly folder: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  write(record: ReceiveLogRecord): void {
    const date = record.date ?? new Date();
    // The event is one of + - > < * (Exchange's own column): written as it is, not as a formula.
    const line = [
      csvCell(date.toISOString()), csvCell(record.connector), csvCell(record.session), record.sequence, csvCell(record.local), csvCell(record.remote),
      record.event, csvCell(record.data), csvCell(record.context ?? ''),
    ].join(',');
    // Lines of one turn of the event loop go out in one write: a Verbose log has about ten
    // lines per message, and a write each was a measurable share of a delivery's CPU.
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push({ date, line });
  }

  private flush(): void {
    const lines = this.pending.splice(0);
    let i = 0;
    while (i < lines.length) {
      const day = lines[i]!.date.toISOString().slice(0, 10);
      let j = i;
      while (j < lines.length && lines[j]!.date.toISOString().slice(0, 10) === day) j++;
      try {
        writeSync(this.fileFor(lines[i]!.date), lines.slice(i, j).map((l) => `${l.line}\r\n`).join(''));
      } catch (err) {
        this.closeFile();
        this.onError(err);
      }
      i = j;
    }
  }

  private fileFor(date: Date): number {
    const day = date.toISOString().slice(0, 10).replace(/-/g, '');
    if (this.fd !== null && day === this.day) return this.fd;
    this.closeFile();
    mkdirSync(this.folder, { recursive: true });
    const taken = readdirSync(this.folder).map((n) => new RegExp(`^RECV${day}-(\\d+)\\.LOG$`).exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    // A restarted process starts a new file rather than mixing its header into an old one.
    const fd = openSync(join(this.folder, `RECV${day}-${Math.max(0, ...taken) + 1}.LOG`), 'a');
    writeSync(fd, ['#Software: Mailroom', '#Log-type: SMTP Receive Protocol Log', `#Date: ${date.toISOString()}`, `#Fields: ${RECEIVE_LOG_FIELDS.join(',')}`, ''].join('\r\n'));
    this.fd = fd;
    this.day = day;
    return fd;
  }

  close(): void {
    this.flush();
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }
}

export interface SessionEndpoints {
  local: string;
  remote: string;
  /** Next sequence number of the session's lines. */
  sequence: number;
}

type LogArgs = [entry: Record<string, unknown>, message?: unknown, ...args: unknown[]];

/**
 * A bunyan-style logger for smtp-server that turns its connection, command and reply events into
 * receive-log lines, for as long as `enabled()` says so (ProtocolLoggingLevel, read per line).
 */
export function receiveLogger(options: {
  log: SmtpReceiveLog;
  connector: () => string;
  enabled: () => boolean;
  session: (id: string) => SessionEndpoints | undefined;
}): Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (...args: LogArgs) => void> {
  const emit = (...[entry, message, ...args]: LogArgs) => {
    if (!options.enabled()) return;
    const id = typeof entry.cid === 'string' ? entry.cid : undefined;
    const endpoints = id ? options.session(id) : undefined;
    if (!id || !endpoints) return;
    const text = String(message ?? '');
    let event: ReceiveLogEvent | undefined;
    let data = '';
    let context: string | undefined;
    switch (entry.tnx) {
      case 'send':
        event = '>';
        data = String(args[0] ?? '');
        break;
      case 'command':
        event = '<';
        data = String(args[0] ?? '');
        break;
      case 'data':
        event = '*';
        data = `${String(entry.bytes ?? args[0] ?? 0)} bytes of message data received`;
        break;
      case 'connection':
        if (!text.startsWith('Connection from')) return;
        event = '+';
        break;
      case 'close':
        if (!text.startsWith('Connection closed')) return;
        event = '-';
        context = 'Local';
        break;
      case 'starttls':
        event = '*';
        data = `TLS ${String(entry.cipher ?? args[0] ?? '')}`;
        context = 'TLS negotiation succeeded';
        break;
      case 'auth':
        event = '*';
        data = String(entry.user ?? '');
        context = 'authenticated';
        break;
      case 'authfail':
        // The typed name may be a password pasted into the wrong field: see logonNameTag.
        event = '*';
        data = logonNameTag(String(entry.user ?? ''));
        context = 'Inbound authentication failed';
        break;
      default:
        return;
    }
    // A multi-line reply is logged line by line, as Exchange does.
    for (const line of data.split('\r\n')) {
      options.log.write({ connector: options.connector(), session: id, sequence: endpoints.sequence++, local: endpoints.local, remote: endpoints.remote, event, data: line, ...(context ? { context } : {}) });
    }
  };
  return { trace: emit, debug: emit, info: emit, warn: emit, error: emit, fatal: emit };
}
