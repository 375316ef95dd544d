// Protocol logs for POP3 and IMAP4 (Set-PopSettings / Set-ImapSettings -ProtocolLogEnabled):
// one CSV line per client command in the format Exchange 2013 writes (research notes §4.5),
// so scripts written for Exchange's logs read ours:
//
//   #Software: Mailroom
//   #Version: 0.1.0
//   #Log-type: POP3 Protocol Log
//   #Date: 2026-11-20T08:00:00.000Z
//   #Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context
//
// Files are named <PREFIX>yyyyMMddHH-N.LOG (UTC) in LogFileLocation and start afresh per
// LogFileRollOverSettings when LogPerFileSizeQuota is 0, or when a file would pass
// LogPerFileSizeQuota bytes; `unlimited` keeps one file. Settings are passed with every line,
// so a change applies to the next one.
//
// Callers never hand credentials to this module: PASS and AUTH arguments arrive already
// replaced by REDACTED.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { csvCell } from './csv.ts';
import { dataFolder } from './env.ts';

export const PROTOCOL_LOG_FIELDS = [
  'dateTime', 'sessionId', 'seqNumber', 'sIp', 'cIp', 'user', 'duration', 'rqsize', 'rpsize', 'command', 'parameters', 'context',
] as const;

/** What stands in the log for a password or a SASL response. */
export const REDACTED = '*****';

const ROLL_OVER = ['Hourly', 'Daily', 'Weekly', 'Monthly'] as const;
export type RollOver = (typeof ROLL_OVER)[number];

export interface ProtocolLogSettings {
  enabled: boolean;
  /** LogFileLocation: absolute, or relative to the data folder. */
  location: string;
  rollOver: RollOver;
  /** LogPerFileSizeQuota in bytes: 0 rolls by time, 'unlimited' keeps one file. */
  perFileSizeQuota: number | 'unlimited';
}

/** The protocol log settings of a PopSettings or ImapSettings document. */
export function protocolLogSettings(doc: Readonly<Record<string, unknown>>): ProtocolLogSettings {
  const rollOver = ROLL_OVER.find((r) => r === doc.LogFileRollOverSettings) ?? 'Daily';
  const quota = doc.LogPerFileSizeQuota;
  return {
    enabled: doc.ProtocolLogEnabled === true,
    location: typeof doc.LogFileLocation === 'string' ? doc.LogFileLocation : '',
    rollOver,
    perFileSizeQuota: quota === 'unlimited' ? 'unlimited' : Math.max(0, Number(quota) || 0),
  };
}

export interface ProtocolLogRecord {
  dateTime: Date;
  sessionId: string;
  seqNumber: number;
  /** Server endpoint, `address:port`. */
  sIp: string;
  /** Client endpoint, `address:port`. */
  cIp: string;
  user: string;
  /** Milliseconds the command took. */
  duration: number;
  rqsize: number;
  rpsize: number;
  command: string;
  parameters: string;
  context: string;
}

export function formatRecord(r: ProtocolLogRecord): string {
  return [
    r.dateTime.toISOString(), r.sessionId, r.seqNumber, r.sIp, r.cIp, r.user, r.duration, r.rqsize, r.rpsize, r.command, r.parameters, r.context,
  ].map(csvCell).join(',') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// File naming and roll-over
// ---------------------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** yyyyMMddHH in UTC: the stamp in a file name. */
export function hourStamp(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}`;
}

/** The roll-over period a moment belongs to; a file whose period differs from now's is closed. */
export function periodOf(date: Date, rollOver: RollOver): string {
  const stamp = hourStamp(date);
  switch (rollOver) {
    case 'Hourly':
      return stamp;
    case 'Daily':
      return stamp.slice(0, 8);
    case 'Monthly':
      return stamp.slice(0, 6);
    case 'Weekly': {
      // Weeks start on Monday (ISO 8601).
      const monday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - ((date.getUTCDay() + 6) % 7)));
      return `W${hourStamp(monday).slice(0, 8)}`;
    }
  }
}

function stampDate(stamp: string): Date {
  return new Date(Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10)));
}

interface LogFileName {
  name: string;
  stamp: string;
  sequence: number;
}

function parseFileName(prefix: string, name: string): LogFileName | null {
  const m = new RegExp(`^${prefix}(\\d{10})-(\\d+)\\.LOG$`).exec(name);
  return m ? { name, stamp: m[1]!, sequence: Number(m[2]) } : null;
}

const VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0';
  }
})();

interface OpenFile {
  folder: string;
  path: string;
  stamp: string;
  fd: number;
  size: number;
  headerSize: number;
}

export interface ProtocolLogWriterOptions {
  now?: () => Date;
  /** A line could not be written (folder missing rights, disk full): sessions go on regardless. */
  onError?: (err: unknown) => void;
}

/**
 * The files of one kind of protocol log (POP3, IMAP4) for this process. Lines are written with
 * one synchronous write each, so a line is in the file when the command's reply is sent and
 * nothing is lost if the process dies.
 */
export class ProtocolLogWriter {
  private file: OpenFile | null = null;
  private readonly now: () => Date;

  constructor(
    private readonly kind: { prefix: string; logType: string },
    private readonly options: ProtocolLogWriterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The folder LogFileLocation names. */
  static folderFor(location: string): string {
    return isAbsolute(location) ? location : resolve(dataFolder(), location || '.');
  }

  write(settings: ProtocolLogSettings, record: ProtocolLogRecord): void {
    if (!settings.enabled) {
      this.close();
      return;
    }
    const line = Buffer.from(formatRecord(record), 'utf8');
    try {
      const file = this.fileFor(settings, line.length);
      writeSync(file.fd, line);
      file.size += line.length;
    } catch (err) {
      this.close();
      this.options.onError?.(err);
    }
  }

  close(): void {
    if (!this.file) return;
    try {
      closeSync(this.file.fd);
    } catch {
      // already gone; nothing more to release
    }
    this.file = null;
  }

  /** The file the next line goes to, rolling over first when the settings say so. */
  private fileFor(settings: ProtocolLogSettings, lineSize: number): OpenFile {
    const folder = ProtocolLogWriter.folderFor(settings.location);
    const now = this.now();
    const current = this.file;
    if (current && current.folder === folder && this.fits(current, settings, now, lineSize)) return current;
    this.close();
    mkdirSync(folder, { recursive: true });
    // After a restart or a change of folder the newest file there is continued while it fits.
    const reusable = current?.folder === folder ? null : this.newestFile(folder);
    if (reusable && this.fits(reusable, settings, now, lineSize)) return (this.file = reusable);
    if (reusable) closeSync(reusable.fd);
    return (this.file = this.createFile(folder, now));
  }

  private fits(file: OpenFile, settings: ProtocolLogSettings, now: Date, lineSize: number): boolean {
    const quota = settings.perFileSizeQuota;
    if (quota === 'unlimited') return true;
    if (quota === 0) return periodOf(stampDate(file.stamp), settings.rollOver) === periodOf(now, settings.rollOver);
    // A line larger than the whole quota still goes into a fresh file rather than looping.
    return file.size + lineSize <= quota || file.size <= file.headerSize;
  }

  private namesIn(folder: string): LogFileName[] {
    return readdirSync(folder)
      .map((name) => parseFileName(this.kind.prefix, name))
      .filter((n): n is LogFileName => n !== null)
      .sort((a, b) => a.stamp.localeCompare(b.stamp) || a.sequence - b.sequence);
  }

  private newestFile(folder: string): OpenFile | null {
    const newest = this.namesIn(folder).at(-1);
    if (!newest) return null;
    const path = join(folder, newest.name);
    const fd = openSync(path, 'a');
    return { folder, path, stamp: newest.stamp, fd, size: statSync(path).size, headerSize: 0 };
  }

  private createFile(folder: string, now: Date): OpenFile {
    const stamp = hourStamp(now);
    const taken = this.namesIn(folder).filter((n) => n.stamp === stamp).map((n) => n.sequence);
    const sequence = Math.max(0, ...taken) + 1;
    const path = join(folder, `${this.kind.prefix}${stamp}-${sequence}.LOG`);
    const header = Buffer.from(
      [
        '#Software: Mailroom',
        `#Version: ${VERSION}`,
        `#Log-type: ${this.kind.logType}`,
        `#Date: ${now.toISOString()}`,
        `#Fields: ${PROTOCOL_LOG_FIELDS.join(',')}`,
        '',
      ].join('\r\n'),
      'utf8',
    );
    const fd = openSync(path, 'a');
    writeSync(fd, header);
    return { folder, path, stamp, fd, size: header.length, headerSize: header.length };
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions and entries
// ---------------------------------------------------------------------------------------------

/** One line in the making: sizes and the outcome are added while the command runs. */
export class ProtocolLogEntry {
  private responseBytes = 0;
  private status = '';
  private readonly started = performance.now();
  private done = false;

  constructor(
    private readonly owner: ProtocolLogSession,
    /** Null when the log is off: the entry then only counts. */
    private readonly session: ProtocolLogSession | null,
    private readonly command: string,
    private readonly parameters: string,
    private requestBytes: number,
  ) {}

  /** Bytes of a further request line that belongs to this command (a SASL response). */
  addRequest(bytes: number): void {
    this.requestBytes += bytes;
  }

  /**
   * Bytes sent for this command. The status line of the reply becomes the context
   * (`R=+OK …`, `R=-ERR [IN-USE] …`); SASL challenges count, but show only as `R=+` until the
   * exchange's final reply replaces them.
   */
  addResponse(text: string | number): void {
    if (typeof text === 'number') {
      this.responseBytes += text;
      return;
    }
    this.responseBytes += Buffer.byteLength(text);
    const end = text.indexOf('\r\n');
    const line = end < 0 ? text : text.slice(0, end);
    if (line.startsWith('+OK') || line.startsWith('-ERR')) this.status = line.slice(0, 200);
    else if (this.status === '' && line.startsWith('+')) this.status = '+';
  }

  /** The reply's status for protocols whose status is not +OK/-ERR (IMAP: `OK [CODE] text`). */
  setStatus(text: string): void {
    this.status = text.slice(0, 200);
  }

  /** Writes the line; `context` is added after the reply, e.g. a logon's reason. Once only. */
  finish(context?: string): void {
    if (this.done) return;
    this.done = true;
    this.owner.settle(this);
    const parts = [this.status && `R=${this.status}`, context].filter(Boolean);
    this.session?.write({
      command: this.command, parameters: this.parameters, duration: Math.round(performance.now() - this.started),
      rqsize: this.requestBytes, rpsize: this.responseBytes, context: parts.join(';'),
    });
  }
}

export interface ProtocolLogEndpoints {
  /** `address:port` the client connected to. */
  server: string;
  /** `address:port` of the client. */
  client: string;
}

/**
 * The log of one client connection. The front end starts it and hands it to the back end with
 * the connection, so a session keeps one id and one sequence however many parts serve it.
 */
export class ProtocolLogSession {
  readonly sessionId: string;
  /** The logged-on identity, once there is one. */
  user = '';
  /**
   * The command being answered. When the front end hands a session over during a logon
   * command, the back end sends that command's reply, so it finishes this entry.
   */
  current: ProtocolLogEntry | null = null;
  private sequence = 0;
  private readonly opened = performance.now();
  private closed = false;

  constructor(
    private readonly writer: ProtocolLogWriter,
    /** Read for every line, so settings changes apply at once. */
    private readonly settings: () => ProtocolLogSettings,
    private readonly endpoints: ProtocolLogEndpoints,
    /** A back end taking a session over from a front end on another server goes on with its id. */
    sessionId?: string,
  ) {
    this.sessionId = sessionId ?? randomBytes(8).toString('hex').toUpperCase();
  }

  get enabled(): boolean {
    return this.settings().enabled;
  }

  /** Starts the line of a command; a disabled log gives an entry that writes nothing. */
  begin(command: string, parameters = '', requestBytes = 0): ProtocolLogEntry {
    const entry = new ProtocolLogEntry(this, this.enabled ? this : null, command, parameters, requestBytes);
    this.current = entry;
    return entry;
  }

  /** @internal An entry was written. */
  settle(entry: ProtocolLogEntry): void {
    if (this.current === entry) this.current = null;
  }

  /** The first line of every session. */
  open(): void {
    this.begin('OpenSession').finish();
  }

  /** The last line, written once however the session ends. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.enabled) return;
    this.write({ command: 'CloseSession', parameters: '', duration: Math.round(performance.now() - this.opened), rqsize: 0, rpsize: 0, context: reason });
  }

  /** @internal Used by ProtocolLogEntry. */
  write(line: Pick<ProtocolLogRecord, 'command' | 'parameters' | 'duration' | 'rqsize' | 'rpsize' | 'context'>): void {
    const settings = this.settings();
    if (!settings.enabled) return;
    this.writer.write(settings, {
      dateTime: new Date(), sessionId: this.sessionId, seqNumber: this.sequence++,
      sIp: this.endpoints.server, cIp: this.endpoints.client, user: this.user, ...line,
    });
  }
}

export interface ProtocolLogKind {
  /** File name prefix: POP3yyyyMMddHH-N.LOG, IMAP4yyyyMMddHH-N.LOG. */
  prefix: string;
  logType: string;
}

const writers = new Map<string, ProtocolLogWriter>();
const ERROR_REPORT_INTERVAL_MS = 60_000;
let lastErrorReport = -Infinity;

/**
 * Starts the log of a new connection and writes its OpenSession line. One writer per kind in
 * the process, so front-end and back-end lines of a session share a file and a sequence.
 */
export function startProtocolLog(
  kind: ProtocolLogKind,
  socket: { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number },
  settings: () => Readonly<Record<string, unknown>>,
  reportError: (err: unknown) => void,
  /** The session id a front end on another server began the session with. */
  sessionId?: string,
): ProtocolLogSession {
  let writer = writers.get(kind.prefix);
  if (!writer) {
    writer = new ProtocolLogWriter(kind, {
      // A log that cannot be written must not stop mail; say so now and then, not per line.
      onError: (err) => {
        if (performance.now() - lastErrorReport < ERROR_REPORT_INTERVAL_MS) return;
        lastErrorReport = performance.now();
        reportError(err);
      },
    });
    writers.set(kind.prefix, writer);
  }
  const session = new ProtocolLogSession(writer, () => protocolLogSettings(settings()), {
    server: endpoint(socket.localAddress, socket.localPort),
    client: endpoint(socket.remoteAddress, socket.remotePort),
  }, sessionId);
  session.open();
  return session;
}

/** `address:port`, with IPv6 addresses in brackets and IPv4-mapped ones unwrapped. */
export function endpoint(address: string | undefined, port: number | undefined): string {
  const a = (address ?? '').replace(/^::ffff:/, '');
  return `${a.includes(':') ? `[${a}]` : a}:${port ?? 0}`;
}
