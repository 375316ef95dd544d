// The TCP listeners of one receive connector, following its Bindings (plus MAILROOM_PORT_OFFSET):
// reconcile() opens new bindings and closes removed ones without touching the others or the open
// sessions. Every accepted socket is counted against MaxInboundConnection and, per client
// address, MaxInboundConnectionPerSource before it reaches the SMTP session.
import { createServer, type Server, type Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { formatBinding, parseBinding } from '../config/endpoints.ts';
import { matchSize, type IpRange } from '../config/ip-ranges.ts';
import type { Logger } from '../lib/log.ts';
import { Replies } from './replies.ts';

export interface ConnectionLimits {
  total: number;
  perSource: number;
  /** Whether the connector speaks TLS first: then nothing can be written before the handshake. */
  implicitTls: boolean;
}

export class SmtpListenerError extends Error {}

/** Opens a TCP listener for an IPAddress:Port binding (plus the port offset), with errors an admin can act on. */
function listenOn(binding: string, portOffset: number, log: Logger, onSocket: (socket: Socket) => void): Promise<Server> {
  const b = parseBinding(binding);
  if (!b) return Promise.reject(new SmtpListenerError(`Bindings: '${binding}' is not IPAddress:Port`));
  const port = b.port + portOffset;
  const server = createServer({ noDelay: true }, onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new SmtpListenerError(`Port ${port} (${binding}) is already in use by another program (often a local MTA). Stop it, change the connector's -Bindings, or set MAILROOM_PORT_OFFSET.`));
      } else if (err.code === 'EACCES') {
        reject(new SmtpListenerError(`Port ${port} needs privileges to bind. Run as root, grant CAP_NET_BIND_SERVICE, or set MAILROOM_PORT_OFFSET=10000.`));
      } else {
        Object.assign(err, { binding });
        reject(err);
      }
    });
    server.listen({ host: b.address, port, ipv6Only: b.address.includes(':') }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => log.error({ err, binding }, 'smtp listener error'));
      resolve(server);
    });
  });
}

/** A connector's claim on a binding it shares with others. */
export interface BindingClaim {
  identity: string;
  /** RemoteIPRanges now. */
  ranges: () => readonly IpRange[];
  implicitTls: () => boolean;
  accept: (socket: Socket) => void;
}

/**
 * The receive connectors' listeners, one per binding however many connectors name it. Exchange
 * lets connectors share IPAddress:Port when their RemoteIPRanges differ, and a connection is
 * served by the connector whose ranges match the client most specifically (one address before
 * a /24 before everything). A client no connector's ranges cover is refused: 554 and closed
 * (RFC 5321 §3.1), or just closed behind implicit TLS.
 */
export class SharedBindings {
  private readonly entries = new Map<string, { server: Promise<Server>; claims: Map<string, BindingClaim> }>();

  constructor(private readonly options: { log: Logger; portOffset: number }) {}

  private static key(binding: string): string {
    const b = parseBinding(binding);
    return b ? formatBinding(b).toLowerCase() : binding;
  }

  async claim(binding: string, claim: BindingClaim): Promise<void> {
    const key = SharedBindings.key(binding);
    let entry = this.entries.get(key);
    if (!entry) {
      const claims = new Map<string, BindingClaim>();
      const server = listenOn(binding, this.options.portOffset, this.options.log, (socket) => this.dispatch(claims, socket));
      entry = { server, claims };
      this.entries.set(key, entry);
      server.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    entry.claims.set(claim.identity, claim);
    try {
      await entry.server;
    } catch (err) {
      entry.claims.delete(claim.identity);
      throw err;
    }
  }

  release(binding: string, identity: string): void {
    const key = SharedBindings.key(binding);
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.claims.delete(identity);
    if (entry.claims.size > 0) return;
    this.entries.delete(key);
    void entry.server.then((s) => s.close(), () => undefined);
  }

  /** The claim that serves `address`: the most specific RemoteIPRanges match; ties go to the first identity by name. */
  static choose(claims: Iterable<BindingClaim>, address: string): BindingClaim | undefined {
    let best: { claim: BindingClaim; size: bigint } | undefined;
    for (const claim of [...claims].sort((a, b) => a.identity.localeCompare(b.identity))) {
      const size = matchSize(claim.ranges(), address);
      if (size !== undefined && (!best || size < best.size)) best = { claim, size };
    }
    return best?.claim;
  }

  private dispatch(claims: Map<string, BindingClaim>, socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const chosen = SharedBindings.choose(claims.values(), address);
    if (chosen) {
      chosen.accept(socket);
      return;
    }
    socket.on('error', () => undefined);
    if ([...claims.values()].some((c) => c.implicitTls())) {
      socket.destroy();
    } else {
      const r = Replies.noConnectorForClient(address.replace(/^::ffff:/i, ''));
      socket.end(`${r.responseCode} ${r.message}\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
    }
    this.options.log.info({ client: address }, 'smtp: connection refused: no receive connector\'s RemoteIPRanges include the client');
  }
}

export class ConnectorListeners {
  private readonly servers = new Map<string, Server>();
  /** Open sockets and the client address each is counted under. */
  private readonly sockets = new Map<Socket, string>();
  private readonly perSource = new Map<string, number>();
  /** Bindings claimed in `shared`, when the listeners are shared with other connectors. */
  private readonly claimed = new Set<string>();

  constructor(
    private readonly options: {
      log: Logger;
      portOffset: number;
      limits: () => ConnectionLimits;
      onSocket: (socket: Socket) => void;
      /** Receive connectors share their listeners (and choose by RemoteIPRanges); the LMTP port has its own. */
      shared?: { bindings: SharedBindings; identity: string; ranges: () => readonly IpRange[] };
    },
  ) {}

  describe(): string[] {
    return [...this.servers.keys(), ...this.claimed].map((binding) => {
      const b = parseBinding(binding)!;
      return formatBinding({ address: b.address, port: b.port + this.options.portOffset });
    });
  }

  get connectionCount(): number {
    this.sweep();
    return this.sockets.size;
  }

  private release(socket: Socket): void {
    const source = this.sockets.get(socket);
    if (source === undefined) return;
    this.sockets.delete(socket);
    const left = (this.perSource.get(source) ?? 1) - 1;
    if (left <= 0) this.perSource.delete(source);
    else this.perSource.set(source, left);
  }

  /**
   * smtp-server removes every listener of the plain socket when it starts TLS (STARTTLS), our
   * 'close' listener included, so sockets that ended after STARTTLS are found here instead.
   */
  private sweep(): void {
    for (const socket of this.sockets.keys()) if (socket.destroyed) this.release(socket);
  }

  async reconcile(bindings: readonly string[]): Promise<void> {
    const wanted = new Set(bindings);
    const shared = this.options.shared;
    if (shared) {
      for (const binding of this.claimed) {
        if (wanted.has(binding)) continue;
        this.claimed.delete(binding);
        shared.bindings.release(binding, shared.identity);
      }
    }
    for (const [binding, server] of this.servers) {
      if (!wanted.has(binding)) {
        this.servers.delete(binding);
        server.close();
      }
    }
    for (const binding of wanted) {
      if (this.servers.has(binding) || this.claimed.has(binding)) continue;
      try {
        if (shared) {
          await shared.bindings.claim(binding, {
            identity: shared.identity, ranges: shared.ranges, implicitTls: () => this.options.limits().implicitTls, accept: (socket) => this.accept(socket),
          });
          this.claimed.add(binding);
        } else {
          this.servers.set(binding, await this.listen(binding));
        }
      } catch (err) {
        // An IPv6 wildcard beside the IPv4 one is the default; a host without IPv6 still serves.
        const code = (err as NodeJS.ErrnoException).code;
        if (binding.startsWith('[') && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
          this.options.log.warn({ binding, code }, 'smtp: IPv6 binding skipped, no IPv6 on this machine');
          continue;
        }
        throw err;
      }
    }
  }

  private accept(socket: Socket): void {
    const source = (socket.remoteAddress ?? '').replace(/^::ffff:/i, '');
    const limits = this.options.limits();
    this.sweep();
    const fromSource = this.perSource.get(source) ?? 0;
    socket.on('error', () => undefined);
    if (this.sockets.size >= limits.total || fromSource >= limits.perSource) {
      // RFC 5321 §3.8: a server that cannot take the session says 421 and closes. Behind
      // implicit TLS nothing can be said before the handshake, so the socket just closes.
      if (!limits.implicitTls) {
        const r = Replies.tooManyConnections();
        socket.end(`${r.responseCode} ${r.message}\r\n`);
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
      this.options.log.info({ client: source, total: this.sockets.size, fromSource }, 'smtp: connection refused by connection limits');
      return;
    }
    this.sockets.set(socket, source);
    this.perSource.set(source, fromSource + 1);
    socket.once('close', () => this.release(socket));
    this.options.onSocket(socket);
  }

  private listen(binding: string): Promise<Server> {
    return listenOn(binding, this.options.portOffset, this.options.log, (socket) => this.accept(socket));
  }

  /** Stops listening; with `drop`, open sessions are cut as well. */
  close(drop: boolean): void {
    for (const server of this.servers.values()) server.close();
    this.servers.clear();
    const shared = this.options.shared;
    if (shared) for (const binding of this.claimed) shared.bindings.release(binding, shared.identity);
    this.claimed.clear();
    if (drop) for (const s of this.sockets.keys()) s.destroy();
  }
}

/**
 * Stops listening and ends the sessions of `servers` (smtp-server instances fed by `listeners`):
 * each session gets 421 at its next command, and whatever is still open after `graceMs` is cut.
 */
export async function stopSmtpServers(listeners: ConnectorListeners, servers: SMTPServer[], graceMs: number): Promise<void> {
  listeners.close(false);
  for (const s of servers) s.close();
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline && servers.some((s) => s.connections.size > 0)) await new Promise((r) => setTimeout(r, 50));
  listeners.close(true);
}
