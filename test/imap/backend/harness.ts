// Shared by the IMAP4 back-end tests: a real server in this process (the ServiceHost that
// `mailroom start` runs, with the imap4 and imap4-backend services enabled in a fresh directory),
// mailboxes seeded through the store API, a raw line client for transcripts, and python3.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { constants as zlib, createDeflateRaw, createInflateRaw, type DeflateRaw } from 'node:zlib';
import { SocketTestClient } from '../../support/socket-client.ts';
import { pino } from 'pino';
import { ImapFlow } from 'imapflow';
import { Authenticator } from '../../../src/auth/authenticator.ts';
import type { SessionBackend } from '../../../src/auth/session-logon.ts';
import { fastCredentials, useFastPasswords } from '../../support/passwords.ts';
import { LogonThrottle } from '../../../src/auth/throttle.ts';
import { MailboxDatabases } from '../../../src/backend/mailbox-databases.ts';
import { Directory, type Mailbox } from '../../../src/directory/directory.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../../src/host/server.ts';
import { setupOrganization } from '../../../src/host/setup.ts';
import type { Folder, MailStore } from '../../../src/store/types.ts';
import { freePortOffset, tempDataDir } from '../../helpers.ts';

export const ADMIN_PW = 'Admin-Pass-2026';
export const PASSWORD = 'Imap-Pass-2026';

export interface TestServer {
  dir: Directory;
  databases: MailboxDatabases;
  host: ServiceHost;
  plainPort: number;
  tlsPort: number;
  /** Creates a user mailbox with PASSWORD; `language` names its default folders. */
  addUser(alias: string, options?: { language?: string; settings?: Record<string, unknown> }): Promise<Mailbox>;
  /** The store and a folder of a mailbox, for seeding and checking behind the protocol's back. */
  folderOf(alias: string, name?: string): Promise<{ store: MailStore; folder: Folder; mailbox: Mailbox }>;
  /** Appends through the store API; returns the new UID. */
  seed(alias: string, raw: string | Buffer, options?: { folder?: string; flags?: string[]; internalDate?: Date }): Promise<number>;
  /** How many logons have reached the imap4-backend service so far. */
  backendOpens(): number;
  /** Makes logons wait at the back end (as a slow mailbox database would) until released. */
  holdBackend(): () => void;
  /** Changes ImapSettings (or another settings document) and applies it as the host's poll would. */
  settings(changes: Record<string, unknown>, document?: 'ImapSettings' | 'TransportConfig'): Promise<void>;
  /**
   * Gives the imap4-backend service ImapSettings with `changes`, unchecked (timeouts below the
   * 30-second minimum) for its sessions; settings({}) puts the stored ones back.
   */
  backendSettings(changes: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts imap4 + imap4-backend on 127.0.0.1 at a free port offset. MAILROOM_DATA and
 * MAILROOM_PORT_OFFSET are set for this process: node's test runner gives each file its own.
 */
export async function startServer(): Promise<TestServer> {
  const data = tempDataDir('mailroom-imap-be-');
  const offset = await freePortOffset([143, 993]);
  process.env.MAILROOM_DATA = data.path;
  process.env.MAILROOM_PORT_OFFSET = String(offset);
  const dir = await Directory.open();
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: ADMIN_PW });
  await useFastPasswords(dir);
  await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:143'], SSLBindings: ['127.0.0.1:993'] }, 'MAIL01');
  await dir.setServiceStartupType('MAIL01', 'imap4', 'Automatic');
  await dir.setServiceStartupType('MAIL01', 'imap4-backend', 'Automatic');
  // Nothing else listens: these tests only need IMAP4.
  for (const other of ['smtp', 'web', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', other, 'Disabled');
  const log = pino({ level: process.env.MAILROOM_LOG_LEVEL === 'debug' ? 'debug' : 'silent' });
  const databases = new MailboxDatabases(dir);
  const authenticator = new Authenticator(dir, log);
  // Refused logons are part of the tests; they must not slow the others down.
  Object.assign(authenticator, { throttle: new LogonThrottle({ freeFailures: 1000 }) });
  const deps: ServiceDeps = { directory: dir, databases, authenticator, log, tls: new SecureContextCache() };
  const host = new ServiceHost(deps, 'MAIL01', 'all');
  await host.reconcile();
  // The front end's way into the back end, wrapped so a test can see logons arrive and hold
  // them there. (The host keeps its services private; this is the object backendFor() returns.)
  let opens = 0;
  let gate: Promise<void> | null = null;
  const backendService = (host as unknown as { running: Map<string, { sessions?: SessionBackend; reconfigure(snapshot: unknown): Promise<void> }> }).running.get('imap4-backend')!;
  const backend = backendService.sessions!;
  const open = backend.open.bind(backend);
  backend.open = async (request) => {
    opens++;
    if (gate) await gate;
    return open(request);
  };
  const credentials = await fastCredentials(PASSWORD);
  const server: TestServer = {
    dir, databases, host,
    plainPort: 143 + offset,
    tlsPort: 993 + offset,
    async addUser(alias, options = {}) {
      const settings = { ...(options.language ? { Languages: [options.language] } : {}), ...options.settings };
      return dir.createMailbox({ name: alias, alias, credentials, settings });
    },
    async folderOf(alias, name = 'INBOX') {
      const mailbox = await dir.requireMailbox(alias);
      const store = await databases.storeFor(mailbox);
      const folder = await store.folder(mailbox.id, name);
      assert.ok(folder, `folder ${name} of ${alias}`);
      return { store, folder, mailbox };
    },
    async seed(alias, raw, options = {}) {
      const { store, folder } = await server.folderOf(alias, options.folder);
      const r = await store.append(folder.id, {
        raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
        ...(options.flags ? { flags: options.flags } : {}),
        ...(options.internalDate ? { internalDate: options.internalDate } : {}),
      });
      return r.uid;
    },
    backendOpens: () => opens,
    holdBackend() {
      let release = () => undefined as void;
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return release;
    },
    async settings(changes, document = 'ImapSettings') {
      await dir.updateSettings(document, changes, document === 'ImapSettings' ? 'MAIL01' : undefined);
      await host.reconcile();
    },
    async backendSettings(changes) {
      const snapshot = await host.readSnapshot();
      await backendService.reconfigure({ ...snapshot, imapSettings: { ...snapshot.imapSettings, ...changes } });
    },
    async stop() {
      await host.stopAll();
      await databases.closeAll();
      await dir.close();
      data.cleanup();
    },
  };
  return server;
}

/** A small RFC 5322 message with CRLF line ends. */
export function message(subject: string, body: string, headers: Record<string, string> = {}): string {
  const all = { From: 'Sender <sender@fabrikam.com>', To: 'user@contoso.com', Subject: subject, Date: 'Mon, 02 Nov 2026 08:00:00 +0000', ...headers };
  return `${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

export function imapflow(server: TestServer, user: string, options: { port?: number; secure?: boolean; password?: string } = {}): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: options.port ?? server.tlsPort,
    secure: options.secure ?? true,
    auth: { user, pass: options.password ?? PASSWORD },
    tls: { rejectUnauthorized: false },
    logger: false,
    // A failed test must not hang on a reconnect loop.
    connectionTimeout: 5000,
    greetingTimeout: 5000,
  });
}

/**
 * A raw IMAP client for transcripts: sends lines and literals as written, reads response lines
 * with literal contents folded in, so a `{n}` literal never splits a response.
 */
export class RawClient extends SocketTestClient {
  private buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `buffer`: a large literal is joined once, when it is complete. */
  private arrived: Buffer[] = [];
  private arrivedBytes = 0;
  /** Bytes `buffer` must hold before split() can get further. */
  private needed = 0;
  private readonly lines: string[] = [];
  /** How response bytes become strings: 'latin1' keeps every octet of a binary literal as one char. */
  decoding: 'utf8' | 'latin1' = 'utf8';
  /** COMPRESS was sent: bytes after the reply with this tag are not lines (yet). */
  private holdAfter: string | null = null;
  private holding = false;

  private constructor(socket: Socket) {
    super(socket);
  }

  protected received(chunk: Buffer): void {
    this.arrived.push(chunk);
    this.arrivedBytes += chunk.length;
    if (this.buffer.length + this.arrivedBytes < this.needed) return;
    this.join();
    if (!this.holding) this.split();
  }

  private join(): void {
    if (this.arrived.length === 0) return;
    this.buffer = Buffer.concat([this.buffer, ...this.arrived]);
    this.arrived = [];
    this.arrivedBytes = 0;
  }

  protected unread(): string {
    this.join();
    return this.buffer.toString('latin1');
  }

  static async connect(port: number, options: { tls?: boolean; localAddress?: string } = {}): Promise<RawClient> {
    const base = { host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
    const socket = options.tls === false ? netConnect(base) : tlsConnect({ ...base, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls === false ? 'connect' : 'secureConnect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    assert.match(await client.line(), /^\* OK /);
    return client;
  }

  /** Connects over implicit TLS and logs on; fails the test unless the logon succeeds. */
  static async login(port: number, user: string, password = PASSWORD): Promise<RawClient> {
    const client = await RawClient.connect(port);
    const reply = await client.command('L0', `LOGIN ${user} ${password}`);
    assert.match(reply.at(-1)!, /^L0 OK /, reply.join('\n'));
    return client;
  }

  /**
   * COMPRESS DEFLATE (RFC 4978) with node:zlib: after the tagged OK both directions are raw
   * DEFLATE, each write flushed (Z_SYNC_FLUSH). `pipelined` is sent compressed right behind the
   * command, before the OK, as RFC 4978 §3 allows. Returns the tagged reply.
   */
  async compress(tag = 'Z', options: { pipelined?: string; level?: number } = {}): Promise<string> {
    const encode: DeflateRaw = createDeflateRaw({ flush: zlib.Z_SYNC_FLUSH, ...(options.level !== undefined ? { level: options.level } : {}) });
    const decode = createInflateRaw();
    this.holdAfter = tag;
    const socket = this.socket;
    let first = Buffer.from(`${tag} COMPRESS DEFLATE\r\n`);
    if (options.pipelined !== undefined) {
      // In the same write as the command, so the server surely has both in one read.
      const compressed: Buffer[] = [];
      const collect = (chunk: Buffer) => compressed.push(chunk);
      encode.on('data', collect);
      await new Promise<void>((resolve) => encode.write(options.pipelined, () => setImmediate(resolve)));
      encode.removeListener('data', collect);
      first = Buffer.concat([first, ...compressed]);
    }
    encode.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.write(first);
    const reply = await this.line();
    this.holding = false;
    if (!reply.startsWith(`${tag} OK`)) {
      this.join();
      this.split();
      return reply;
    }
    // Anything after the OK's CRLF is compressed already.
    this.join();
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    this.needed = 0;
    this.layer(decode, encode);
    if (rest.length > 0) decode.write(rest);
    return reply;
  }

  // A response line ends at CRLF unless it announces a literal, whose bytes are part of it.
  private split(): void {
    for (;;) {
      let at = 0;
      let end = -1;
      while (true) {
        const crlf = this.buffer.indexOf('\r\n', at);
        if (crlf < 0) {
          this.needed = 0;
          return;
        }
        const m = /\{(\d+)\}$/.exec(this.buffer.subarray(at, crlf).toString('latin1'));
        if (!m) {
          end = crlf;
          break;
        }
        const next = crlf + 2 + Number(m[1]);
        if (this.buffer.length < next) {
          this.needed = next;
          return;
        }
        at = next;
      }
      const line = this.buffer.subarray(0, end).toString(this.decoding);
      this.lines.push(line);
      this.buffer = this.buffer.subarray(end + 2);
      if (this.holdAfter !== null && line.startsWith(`${this.holdAfter} `)) {
        this.holdAfter = null;
        this.holding = true;
        return;
      }
    }
  }

  async line(timeoutMs = 5000): Promise<string> {
    await this.waitFor(() => this.lines.length > 0, timeoutMs);
    return this.lines.shift()!;
  }

  send(line: string | Buffer): void {
    this.write(Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line, 'utf8'), Buffer.from('\r\n')]));
  }

  async until(tag: string, timeoutMs = 5000): Promise<string[]> {
    const got: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      got.push(line);
      if (line.startsWith(`${tag} `)) return got;
    }
  }

  /** Sends a tagged command; every line up to and including its tagged completion. */
  async command(tag: string, text: string | Buffer): Promise<string[]> {
    this.send(Buffer.concat([Buffer.from(`${tag} `), Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')]));
    return this.until(tag);
  }

  /** The tagged completion alone. */
  async status(tag: string, text: string | Buffer): Promise<string> {
    return (await this.command(tag, text)).at(-1)!;
  }
}

export function python(script: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, ...args], { timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}
