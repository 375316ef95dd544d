// A migration source that pulls a mailbox from another IMAP server (Exchange 2013, Dovecot, a
// hosted service) as the user, or as an administrator through a master-user logon: SASL PLAIN
// with the user as authorization identity (RFC 4616 §2; Dovecot with a master passdb, Cyrus,
// Zimbra) or Dovecot's `user*master` login name. Every folder comes with its levels split at
// the server's delimiter, its special use, UIDVALIDITY and UIDNEXT; every message with its UID,
// flags, keywords, INTERNALDATE and exact bytes, read in 256 KiB partial fetches.
//
// The client is imapflow (a maintained Node IMAP client: STARTTLS with injection checks,
// partial downloads, LIST/LSUB with SPECIAL-USE, SASL PLAIN with authzid), so this file only
// decides what to ask and how to trust the server.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { ImapFlow, ListResponse } from 'imapflow';
import type { FolderRole } from '../store/types.ts';
import {
  SourceItemError, type MigrationSource, type SourceEntry, type SourceFolder, type SourceMessage,
} from './source.ts';

/** New-MigrationEndpoint's -Security values: None (plain text), Ssl (993, TLS from the start), Tls (STARTTLS). */
export const IMAP_SECURITY = ['None', 'Ssl', 'Tls'] as const;
export type ImapSecurity = (typeof IMAP_SECURITY)[number];

export interface ImapSourceOptions {
  host: string;
  port?: number;
  security: ImapSecurity;
  /** The mailbox at the source (its logon name). */
  userName: string;
  /** The user's password; with a master user, the master user's password. */
  password: string;
  /** Log on as this administrator on the user's behalf. */
  masterUserName?: string;
  /**
   * How the master user logs on: 'authzid' (SASL PLAIN with the user as authorization identity)
   * or a separator character for `user<sep>master` (Dovecot's auth_master_user_separator).
   */
  masterLogon?: 'authzid' | { separator: string };
  /** Accept any certificate (Exchange's -AcceptUntrustedCertificates). */
  acceptUntrustedCertificates?: boolean;
  /** Trust the certificate with this SHA-256 fingerprint (hex, colons optional) in the server's chain. */
  certificateFingerprint?: string;
  /** PEM file of a CA (or a self-signed certificate) to trust besides the system's. */
  caFile?: string;
  /** Milliseconds without an answer before a command fails (default 60 s). */
  socketTimeoutMs?: number;
}

/** Bytes asked for per partial FETCH (BODY.PEEK[]<offset.length>). */
const CHUNK = 256 * 1024;

/** Folders that show other folders' messages again (Gmail's All Mail, Starred, Important): importing them would copy mail twice. */
const VIRTUAL_USES = new Set(['\\all', '\\flagged', '\\important']);

const ROLES: Record<string, Exclude<FolderRole, 'inbox'>> = {
  '\\sent': 'sent', '\\trash': 'trash', '\\drafts': 'drafts', '\\junk': 'junk', '\\archive': 'archive',
};

export class ImapSourceError extends Error {}

const normalizeFingerprint = (text: string) => text.replaceAll(':', '').trim().toLowerCase();

function sha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function pemOf(cert: PeerCertificate): string {
  return new X509Certificate(cert.raw).toString();
}

/**
 * Opens a connection without credentials to read the certificate chain the server presents
 * (after STARTTLS for 'Tls'), for pinning by fingerprint. The logon connection is then made
 * with the pinned certificate as its only trust anchor, so a different server on the second
 * connection fails the handshake before any password is sent.
 */
async function presentedChain(host: string, port: number, security: ImapSecurity, timeoutMs: number): Promise<PeerCertificate[]> {
  const handshake = (socket?: Socket) =>
    new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host, port, rejectUnauthorized: false, ...(socket ? { socket } : {}), ...(isIp(host) ? {} : { servername: host }) }, () => resolve(s));
      s.once('error', reject);
      s.setTimeout(timeoutMs, () => s.destroy(new ImapSourceError(`no TLS handshake from ${host}:${port} within ${timeoutMs} ms`)));
    });
  let tls: TLSSocket;
  if (security === 'Ssl') tls = await handshake();
  else {
    const plain = netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      let sent = false;
      plain.setTimeout(timeoutMs, () => plain.destroy(new ImapSourceError(`no STARTTLS answer from ${host}:${port} within ${timeoutMs} ms`)));
      plain.on('error', reject);
      const onData = (d: Buffer) => {
        seen += d.toString('latin1');
        if (seen.length > 64 * 1024) return plain.destroy(new ImapSourceError('the server sent too much before STARTTLS'));
        if (!sent && seen.includes('\r\n')) {
          sent = true;
          seen = '';
          plain.write('P1 STARTTLS\r\n');
          return;
        }
        if (sent && seen.includes('\r\n')) {
          plain.off('data', onData);
          if (seen.startsWith('P1 OK')) resolve();
          else reject(new ImapSourceError(`${host}:${port} refused STARTTLS: ${seen.trim().slice(0, 200)}`));
        }
      };
      plain.on('data', onData);
    });
    tls = await handshake(plain);
  }
  const chain: PeerCertificate[] = [];
  let cert = tls.getPeerCertificate(true);
  while (cert && cert.raw && !chain.some((c) => c.raw.equals(cert.raw))) {
    chain.push(cert);
    cert = cert.issuerCertificate;
  }
  tls.destroy();
  return chain;
}

function isIp(host: string): boolean {
  // An IP literal has no server name to send (RFC 6066 §3 forbids it in SNI).
  return host.includes(':') || host.split('.').every((p) => p !== '' && p.length <= 3 && [...p].every((c) => c >= '0' && c <= '9'));
}

/** TLS options for the logon connection: the system's CAs, a CA file, a pinned certificate, or none. */
export async function tlsOptions(options: ImapSourceOptions, port: number): Promise<ConnectionOptions> {
  if (options.security === 'None') return {};
  if (options.acceptUntrustedCertificates) return { rejectUnauthorized: false };
  if (options.certificateFingerprint) {
    const wanted = normalizeFingerprint(options.certificateFingerprint);
    const chain = await presentedChain(options.host, port, options.security, options.socketTimeoutMs ?? 60_000);
    const pinned = chain.find((c) => sha256(c.raw) === wanted);
    if (!pinned) {
      throw new ImapSourceError(
        `${options.host}:${port} presented no certificate with SHA-256 fingerprint ${options.certificateFingerprint} ` +
        `(it presented ${chain.map((c) => sha256(c.raw).toUpperCase()).join(', ') || 'none'}).`,
      );
    }
    // The pinned certificate is the trust anchor; its name need not match the host name given.
    return { rejectUnauthorized: true, ca: [pemOf(pinned)], checkServerIdentity: () => undefined };
  }
  if (options.caFile) {
    const { rootCertificates } = await import('node:tls');
    return { rejectUnauthorized: true, ca: [...rootCertificates, await readFile(options.caFile, 'utf8')] };
  }
  return { rejectUnauthorized: true };
}

/** The logon imapflow makes for these options. */
function authOf(options: ImapSourceOptions): { user: string; pass: string; authzid?: string; loginMethod?: string } {
  if (!options.masterUserName) return { user: options.userName, pass: options.password };
  const logon = options.masterLogon ?? 'authzid';
  if (logon === 'authzid') return { user: options.masterUserName, pass: options.password, authzid: options.userName, loginMethod: 'AUTH=PLAIN' };
  return { user: `${options.userName}${logon.separator}${options.masterUserName}`, pass: options.password, loginMethod: 'LOGIN' };
}

interface ImapFolder extends SourceFolder {
  /** The name as imapflow addresses it (decoded path with the server's delimiter). */
  imapPath: string;
  selectable: boolean;
}

export class ImapSource implements MigrationSource {
  readonly description: string;
  private client: ImapFlow | null = null;
  private selected: string | null = null;
  /** One command sequence at a time: a read must find its folder selected. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Folders skipped because they repeat other folders' messages, for the report. */
  readonly skippedFolders: { name: string; reason: string }[] = [];

  constructor(private readonly options: ImapSourceOptions) {
    const who = options.masterUserName ? `${options.userName} (as ${options.masterUserName})` : options.userName;
    this.description = `IMAP ${options.host}:${this.port} (${options.security}) ${who}`;
  }

  private get port(): number {
    return this.options.port ?? (this.options.security === 'Ssl' ? 993 : 143);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Connects and logs on (again, after a dropped connection). */
  private async connection(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client;
    this.client?.close();
    this.selected = null;
    const tls = await tlsOptions(this.options, this.port);
    // Loaded when a pull starts: admin commands that only name an IMAP source do not pay for it.
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({
      host: this.options.host,
      port: this.port,
      secure: this.options.security === 'Ssl',
      doSTARTTLS: this.options.security === 'Tls' ? true : this.options.security === 'None' ? false : undefined,
      auth: authOf(this.options),
      tls,
      logger: false,
      socketTimeout: this.options.socketTimeoutMs ?? 60_000,
      disableAutoIdle: true,
      // The connection is only ever used for reading; no ID or ENABLE side effects needed.
      clientInfo: { name: 'Mailroom migration' },
    } as ConstructorParameters<typeof ImapFlow>[0]);
    client.on('error', () => undefined); // reported by the command that fails
    try {
      await client.connect();
    } catch (err) {
      const e = err as { authenticationFailed?: boolean; responseText?: string; message: string; code?: string };
      if (e.authenticationFailed) throw new ImapSourceError(`${this.description}: the logon was refused${e.responseText ? `: ${e.responseText}` : ''}.`);
      throw new ImapSourceError(`${this.description}: ${e.code ? `${e.code}: ` : ''}${e.message}`);
    }
    this.client = client;
    return client;
  }

  async folders(): Promise<SourceFolder[]> {
    return this.serial(async () => {
      const client = await this.connection();
      const listed = await client.list();
      const out: ImapFolder[] = [];
      for (const entry of listed) {
        const flags = new Set([...entry.flags].map((f) => f.toLowerCase()));
        if (flags.has('\\nonexistent')) continue;
        const use = entry.specialUse?.toLowerCase();
        if (use && VIRTUAL_USES.has(use)) {
          this.skippedFolders.push({ name: entry.path, reason: `${entry.specialUse} shows messages of other folders` });
          continue;
        }
        out.push(this.folderOf(entry, flags));
      }
      // Status (UIDVALIDITY, UIDNEXT) folder by folder: not every server has LIST-STATUS.
      for (const f of out) {
        if (!f.selectable) continue;
        const status = await client.status(f.imapPath, { uidValidity: true, uidNext: true });
        if (!status) continue;
        if (status.uidValidity !== undefined) f.uidValidity = Number(status.uidValidity);
        if (status.uidNext !== undefined) f.uidNext = status.uidNext;
      }
      // Parents before their children, as the importer creates them in order.
      return out.sort((a, b) => a.path.length - b.path.length);
    });
  }

  private folderOf(entry: ListResponse, flags: Set<string>): ImapFolder {
    const isInbox = entry.path.toUpperCase() === 'INBOX';
    // The server's delimiter splits the levels; Mailroom joins them with '/' again, so a '/'
    // inside a Dovecot level ('.' delimiter) stays a character of that level's name.
    const path = isInbox ? ['INBOX'] : entry.delimiter ? entry.path.split(entry.delimiter) : [entry.path];
    const role = entry.specialUse ? ROLES[entry.specialUse.toLowerCase()] : undefined;
    return {
      path,
      imapPath: entry.path,
      selectable: !flags.has('\\noselect'),
      ...(role ? { specialUse: role } : {}),
      subscribed: entry.subscribed,
    };
  }

  async entries(folder: SourceFolder): Promise<SourceEntry[]> {
    const f = folder as ImapFolder;
    if (!f.selectable) return [];
    return this.serial(async () => {
      const client = await this.select(f);
      const out: SourceEntry[] = [];
      if (client.mailbox && client.mailbox.exists === 0) return out;
      for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true })) {
        const flags = [...(m.flags ?? new Set<string>())].filter((x) => x.toLowerCase() !== '\\recent');
        const message: SourceMessage = {
          kind: 'message',
          label: `UID ${m.uid}`,
          uid: m.uid,
          flags,
          ...(m.internalDate ? { internalDate: m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate) } : {}),
          ...(m.size !== undefined ? { size: m.size } : {}),
          read: () => this.serial(() => this.download(f, m.uid, m.size)),
        };
        out.push(message);
      }
      return out.sort((a, b) => ((a as SourceMessage).uid ?? 0) - ((b as SourceMessage).uid ?? 0));
    });
  }

  private async select(folder: ImapFolder): Promise<ImapFlow> {
    const client = await this.connection();
    if (this.selected !== folder.imapPath) {
      const box = await client.mailboxOpen(folder.imapPath, { readOnly: true });
      this.selected = folder.imapPath;
      if (folder.uidValidity !== undefined && Number(box.uidValidity) !== folder.uidValidity) {
        throw new ImapSourceError(`${folder.imapPath}: UIDVALIDITY changed at the source during the import (${folder.uidValidity} → ${box.uidValidity}); run the import again.`);
      }
    }
    return client;
  }

  /** The message's bytes in partial fetches; one retry on a new connection if the old one dropped. */
  private async download(folder: ImapFolder, uid: number, size: number | undefined, retry = true): Promise<Buffer> {
    try {
      const client = await this.select(folder);
      const { content } = await client.download(String(uid), undefined, { uid: true, chunkSize: CHUNK, maxBytes: size !== undefined ? size : undefined } as never);
      if (!content) throw new SourceItemError(`UID ${uid} is no longer in ${folder.imapPath} at the source`);
      const parts: Buffer[] = [];
      let total = 0;
      for await (const chunk of content as AsyncIterable<Buffer>) {
        parts.push(chunk);
        total += chunk.length;
      }
      const raw = Buffer.concat(parts, total);
      if (size !== undefined && raw.length !== size) throw new SourceItemError(`UID ${uid}: the source sent ${raw.length} bytes of a ${size}-byte message`);
      return raw;
    } catch (err) {
      if (err instanceof SourceItemError || err instanceof ImapSourceError || !retry || this.client?.usable) throw err;
      return this.download(folder, uid, size, false);
    }
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.client?.usable) await this.client.logout().catch(() => undefined);
      this.client?.close();
      this.client = null;
    });
  }
}
