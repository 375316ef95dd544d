// A set of TCP listeners that follows a list of bindings: reconcile() opens what is new and
// closes what was removed, so a binding change applies without dropping other listeners or
// the connections already open.
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { parseBinding, formatBinding } from '../config/endpoints.ts';
import type { Logger } from '../lib/log.ts';

export interface ListenerSpec {
  binding: string;          // as configured: '0.0.0.0:993'
  implicitTls: boolean;
}

export type ConnectionHandler = (socket: Socket, info: { implicitTls: boolean; binding: string }) => void;

export interface ListenerSetOptions {
  log: Logger;
  portOffset: number;
  /** Current certificate for implicit-TLS listeners; read at each connection so a change applies at once. */
  secureContext: () => SecureContext;
  /**
   * Chooses the ALPN protocol of an implicit-TLS connection (and may switch its certificate,
   * for an ACME TLS-ALPN-01 answer); without it the server ignores ALPN.
   */
  alpn?: (socket: TLSSocket, hello: { servername: string; protocols: string[] }) => string | undefined;
  onConnection: ConnectionHandler;
}

interface OpenListener {
  spec: ListenerSpec;
  server: Server;
  sockets: Set<Socket>;
}

export class ListenerError extends Error {}

function keyOf(spec: ListenerSpec): string {
  return `${spec.implicitTls ? 'tls' : 'plain'} ${spec.binding}`;
}

export class ListenerSet {
  private readonly open = new Map<string, OpenListener>();

  constructor(private readonly options: ListenerSetOptions) {}

  /** The addresses actually listened on (with the port offset), for the ready line and Get-Service. */
  describe(): string[] {
    return [...this.open.values()].map((l) => {
      const b = parseBinding(l.spec.binding)!;
      return `${formatBinding({ address: b.address, port: b.port + this.options.portOffset })}${l.spec.implicitTls ? ' (TLS)' : ''}`;
    });
  }

  async reconcile(specs: ListenerSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [keyOf(s), s]));
    for (const [key, listener] of this.open) {
      if (!wanted.has(key)) {
        this.open.delete(key);
        await this.closeListener(listener, false);
      }
    }
    for (const [key, spec] of wanted) {
      if (this.open.has(key)) continue;
      // An IPv6 wildcard next to an IPv4 one is the Exchange default; if the machine has no
      // IPv6 the IPv4 listener still serves, so that failure is only logged.
      try {
        this.open.set(key, await this.listen(spec));
      } catch (err) {
        const b = parseBinding(spec.binding)!;
        const code = (err as NodeJS.ErrnoException).code;
        if (b.address.includes(':') && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
          this.options.log.warn({ binding: spec.binding, code }, 'IPv6 binding skipped: no IPv6 on this machine');
          continue;
        }
        throw err;
      }
    }
  }

  private listen(spec: ListenerSpec): Promise<OpenListener> {
    const b = parseBinding(spec.binding)!;
    const port = b.port + this.options.portOffset;
    const sockets = new Set<Socket>();
    const server = createServer({ noDelay: true }, (raw) => {
      sockets.add(raw);
      raw.once('close', () => sockets.delete(raw));
      raw.on('error', () => undefined);
      let socket: Socket = raw;
      if (spec.implicitTls) {
        let secureContext: SecureContext;
        try {
          secureContext = this.options.secureContext();
        } catch (err) {
          // No certificate, or one refused by EnforceCertificateErrors: nothing can be said
          // before TLS on this port, so the connection is closed and the reason logged.
          this.options.log.warn({ err, binding: spec.binding }, 'TLS connection refused');
          raw.destroy();
          return;
        }
        const alpn = this.options.alpn;
        const tlsSocket: TLSSocket = new TLSSocket(raw, {
          isServer: true,
          secureContext,
          ...(alpn ? { ALPNCallback: (hello: { servername: string; protocols: string[] }) => alpn(tlsSocket, hello) } : {}),
        });
        socket = tlsSocket;
        socket.on('error', () => raw.destroy());
      }
      this.options.onConnection(socket, { implicitTls: spec.implicitTls, binding: spec.binding });
    });
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          reject(new ListenerError(`Port ${port} (${spec.binding}) is already in use by another program. Stop it, change the binding, or set MAILROOM_PORT_OFFSET (for example 10000) to move every port.`));
        } else if (err.code === 'EACCES') {
          reject(new ListenerError(`Port ${port} needs privileges to bind. Run as root, grant CAP_NET_BIND_SERVICE, or set MAILROOM_PORT_OFFSET=10000 to use ports above 1024.`));
        } else reject(err);
      });
      server.listen({ host: b.address, port, ipv6Only: b.address.includes(':') }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.options.log.error({ err, binding: spec.binding }, 'listener error'));
        resolve({ spec, server, sockets });
      });
    });
  }

  /** Stops accepting at once; open sessions finish on their own unless dropped. */
  private async closeListener(listener: OpenListener, dropConnections: boolean): Promise<void> {
    listener.server.close();
    if (dropConnections) for (const s of listener.sockets) s.destroy();
  }

  /** Stops accepting; connections already open are left to their sessions unless `drop`. */
  async closeAll(drop = false): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((l) => this.closeListener(l, drop)));
  }

  connectionCount(): number {
    let n = 0;
    for (const l of this.open.values()) n += l.sockets.size;
    return n;
  }
}
