// The SMTP receive protocol log of connectors with ProtocolLoggingLevel Verbose (the default on
// "Default Frontend"), in Exchange's format so that scripts written for it read ours:
//
//   #Software: Mailroom
//   #Log-type: SMTP Receive Protocol Log
//   #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
//
// Events: + connect, - disconnect, > sent, < received, * information. One file per day,
// <data>/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECVyyyyMMdd-N.LOG, and a new N when a file
// reaches ReceiveProtocolLogMaxFileSize. Files past ReceiveProtocolLogMaxAge, then the oldest
// while the folder is over ReceiveProtocolLogMaxDirectorySize, are deleted (Set-TransportService):
// when a file is started, when the limits change, and every ten minutes. Message contents are
// never logged, and AUTH arguments reach this file already replaced by smtp-server ("/* secured */").
import { closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { receiveLogLimits, type ReceiveLogLimits } from '../config/transport-service.ts';
import { csvCell } from '../lib/csv.ts';
import { logonNameTag } from '../lib/log.ts';
import { pruneLogFolder, type RetentionResult } from '../lib/log-retention.ts';

/** RECVyyyyMMdd-N.LOG, the names this log makes (and the only files retention deletes). */
const RECEIVE_LOG_NAME = /^RECV\d{8}-\d+\.LOG$/;
const PRUNE_INTERVAL_MS = 10 * 60_000;

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
  private fileName: string | null = null;
  private size = 0;
  private limits: ReceiveLogLimits = receiveLogLimits(undefined);
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly pending: { date: Date; line: string }[] = [];

  constructor(
    private readonly folder: string,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly onPruned: (result: RetentionResult) => void = () => undefined,
  ) {}

  /** Set-TransportService's limits; applied at once (files that no longer fit are deleted now). */
  setLimits(limits: ReceiveLogLimits): void {
    const changed = JSON.stringify(limits) !== JSON.stringify(this.limits);
    this.limits = limits;
    if (!this.pruneTimer) {
      this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
      this.pruneTimer.unref();
      this.prune();
    } else if (changed) {
      this.prune();
    }
  }

  /** Deletes what the age and folder-size limits no longer allow; the open file stays. */
  prune(now = Date.now()): RetentionResult {
    const result = pruneLogFolder(this.folder, (name) => RECEIVE_LOG_NAME.test(name), this.limits, { now, current: this.fileName });
    if (result.deleted.length) this.onPruned(result);
    return result;
  }

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
    // Consecutive lines of one day that fit in the current file go out in one write.
    let chunk = '';
    let chunkBytes = 0;
    let chunkDate: Date | null = null;
    const write = () => {
      if (!chunkDate) return;
      try {
        const fd = this.fileFor(chunkDate, chunkBytes);
        this.size += writeSync(fd, chunk);
      } catch (err) {
        this.closeFile();
        this.onError(err);
      }
      chunk = '';
      chunkBytes = 0;
      chunkDate = null;
    };
    const max = this.limits.maxFileBytes;
    for (const { date, line } of lines) {
      const text = `${line}\r\n`;
      const bytes = Buffer.byteLength(text);
      const otherDay = chunkDate !== null && chunkDate.toISOString().slice(0, 10) !== date.toISOString().slice(0, 10);
      if (otherDay || (chunkDate !== null && max !== 'unlimited' && this.size + chunkBytes + bytes > max)) write();
      chunk += text;
      chunkBytes += bytes;
      chunkDate ??= date;
    }
    write();
  }

  private fileFor(date: Date, bytes: number): number {
    const day = date.toISOString().slice(0, 10).replace(/-/g, '');
    const max = this.limits.maxFileBytes;
    // A new file when the day changes, or when this write would take the file past
    // ReceiveProtocolLogMaxFileSize (a file holding only its header takes the write regardless).
    const full = max !== 'unlimited' && this.size + bytes > max && this.size > this.headerSize;
    if (this.fd !== null && day === this.day && !full) return this.fd;
    this.closeFile();
    mkdirSync(this.folder, { recursive: true });
    const taken = readdirSync(this.folder).map((n) => new RegExp(`^RECV${day}-(\\d+)\\.LOG$`).exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    // A restarted process starts a new file rather than mixing its header into an old one.
    const name = `RECV${day}-${Math.max(0, ...taken) + 1}.LOG`;
    const fd = openSync(join(this.folder, name), 'a');
    const header = ['#Software: Mailroom', '#Log-type: SMTP Receive Protocol Log', `#Date: ${date.toISOString()}`, `#Fields: ${RECEIVE_LOG_FIELDS.join(',')}`, ''].join('\r\n');
    this.size = writeSync(fd, header);
    this.headerSize = this.size;
    this.fd = fd;
    this.day = day;
    this.fileName = name;
    this.prune();
    return fd;
  }

  private headerSize = 0;

  close(): void {
    this.flush();
    this.closeFile();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
  }

  private closeFile(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
    this.fileName = null;
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
