// The TCP listeners of one receive connector, following its Bindings (plus MAILROOM_PORT_OFFSET):
// reconcile() opens new bindings and closes removed ones without touching the others or the open
// sessions. Every accepted socket is counted against MaxInboundConnection and, per client
// address, MaxInboundConnectionPerSource before it reaches the SMTP session.
import { createServer, type Server, type Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { formatBinding, parseBinding } from '../config/endpoints.ts';
import type { Logger } from '../lib/log.ts';
import { Replies } from './replies.ts';

export interface ConnectionLimits {
  total: number;
  perSource: number;
  /** Whether the connector speaks TLS first: then nothing can be written before the handshake. */
  implicitTls: boolean;
}

export class SmtpListenerError extends Error {}

export class ConnectorListeners {
  private readonly servers = new Map<string, Server>();
  /** Open sockets and the client address each is counted under. */
  private readonly sockets = new Map<Socket, string>();
  private readonly perSource = new Map<string, number>();

  constructor(
    private readonly options: {
      log: Logger;
      portOffset: number;
      limits: () => ConnectionLimits;
      onSocket: (socket: Socket) => void;
    },
  ) {}

  describe(): string[] {
    return [...this.servers.keys()].map((binding) => {
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
    for (const [binding, server] of this.servers) {
      if (!wanted.has(binding)) {
        this.servers.delete(binding);
        server.close();
      }
    }
    for (const binding of wanted) {
      if (this.servers.has(binding)) continue;
      try {
        this.servers.set(binding, await this.listen(binding));
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
    const b = parseBinding(binding);
    if (!b) return Promise.reject(new SmtpListenerError(`Bindings: '${binding}' is not IPAddress:Port`));
    const port = b.port + this.options.portOffset;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
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
        server.on('error', (err) => this.options.log.error({ err, binding }, 'smtp listener error'));
        resolve(server);
      });
    });
  }

  /** Stops listening; with `drop`, open sessions are cut as well. */
  close(drop: boolean): void {
    for (const server of this.servers.values()) server.close();
    this.servers.clear();
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
