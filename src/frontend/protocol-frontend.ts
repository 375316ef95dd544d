// The IMAP4 and POP3 front-end services: listeners from ImapSettings/PopSettings, connection
// limits, TLS with the chosen certificate, and a protocol session per connection.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { SettingsDocument } from '../config/model.ts';
import type { CommonServiceDeps, ConfigSnapshot, FrontendProtocol, RunningService } from '../service/contracts.ts';
import { pickCertificate } from '../certificates/choice.ts';
import { CertificateRefused, certificateProblem } from '../lib/certificates.ts';
import { ListenerSet } from '../service/listeners.ts';
import { startImapSession } from '../imap/frontend-session.ts';
import { startPopSession } from '../pop3/frontend-session.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { SessionBackend } from '../auth/session-logon.ts';
import type { Logger } from '../lib/log.ts';

export type { FrontendProtocol } from '../service/contracts.ts';

/** What a front-end protocol session may use. Settings are read live, per command. */
export interface FrontendSessionContext {
  protocol: FrontendProtocol;
  settings(): SettingsDocument;
  secureContext(): SecureContext;
  authenticator: Authenticator;
  log: Logger;
  serverName: string;
  clientAddress: string;
  clientPort?: number;
  implicitTls: boolean;
  /** The back end that takes sessions after logon, while one runs (looked up at each logon). */
  backend?(): SessionBackend | undefined;
}

export type SessionStarter = (socket: Socket, ctx: FrontendSessionContext) => void;

const STARTERS: Record<FrontendProtocol, SessionStarter> = { imap: startImapSession, pop: startPopSession };

/**
 * The greeting of a server whose ImapProxy or PopProxy component is Inactive: IMAP4's BYE with
 * UNAVAILABLE (RFC 3501 §7.1.5, RFC 5530), POP3's -ERR with SYS/TEMP (RFC 3206 §4).
 */
export function unavailableGreeting(protocol: FrontendProtocol, serverName: string): string {
  return protocol === 'imap'
    ? `* BYE [UNAVAILABLE] The IMAP4 service on ${serverName} is offline for maintenance; try again later.\r\n`
    : `-ERR [SYS/TEMP] The POP3 service on ${serverName} is offline for maintenance; try again later.\r\n`;
}

export class ProtocolFrontend implements RunningService {
  private snapshot!: ConfigSnapshot;
  private readonly listeners: ListenerSet;
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly protocol: FrontendProtocol,
    private readonly deps: CommonServiceDeps,
    portOffset: number,
  ) {
    this.listeners = new ListenerSet({
      log: deps.log,
      portOffset,
      secureContext: () => this.secureContext(),
      onConnection: (socket, info) => this.accept(socket, info.implicitTls),
    });
  }

  private settings(): SettingsDocument {
    return this.protocol === 'imap' ? this.snapshot.imapSettings : this.snapshot.popSettings;
  }

  private secureContext(): SecureContext {
    const settings = this.settings();
    const cert = pickCertificate(this.snapshot.certificates, this.protocol === 'imap' ? 'IMAP' : 'POP', settings.X509CertificateName as string | null);
    if (!cert) throw new Error('No certificate: run New-ExchangeCertificate or Import-ExchangeCertificate.');
    // EnforceCertificateErrors (Exchange: "the connection fails if the certificate is invalid or
    // does not match the FQDN"): checked at every TLS start, so an expiry takes effect at once.
    if (settings.EnforceCertificateErrors === true) {
      const host = (settings.X509CertificateName as string | null) ?? this.snapshot.server.fqdn;
      const problem = certificateProblem(cert, host);
      if (problem) throw new CertificateRefused(problem);
    }
    return this.deps.tls.get(cert);
  }

  describe(): string {
    return this.listeners.describe().join(', ');
  }

  async reconfigure(snapshot: ConfigSnapshot): Promise<void> {
    this.snapshot = snapshot;
    const s = this.settings();
    await this.listeners.reconcile([
      ...(s.UnencryptedOrTLSBindings as string[]).map((binding) => ({ binding, implicitTls: false })),
      ...(s.SSLBindings as string[]).map((binding) => ({ binding, implicitTls: true })),
    ]);
  }

  private accept(socket: Socket, implicitTls: boolean): void {
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const s = this.settings();
    const component = this.protocol === 'imap' ? 'ImapProxy' : 'PopProxy';
    if (this.snapshot.componentStates[component] !== 'Active') {
      // Set-ServerComponentState: new connections get a temporary error at the greeting, which
      // clients take as "server unavailable, try later" rather than as a wrong password (a NO to
      // LOGIN makes several clients ask for the password again). Over implicit TLS the line is
      // sent once the handshake is done. Sessions already connected go on.
      socket.end(unavailableGreeting(this.protocol, this.snapshot.server.name));
      return;
    }
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.total >= (s.MaxConnections as number) || fromAddress >= (s.MaxConnectionFromSingleIP as number)) {
      // Refused before any TLS or greeting work, so a flood costs as little as possible.
      const text = this.protocol === 'imap'
        ? '* BYE Connection refused: too many connections.\r\n'
        : '-ERR [SYS/TEMP] Connection refused: too many connections.\r\n';
      if (implicitTls) socket.destroy();
      else socket.end(text);
      return;
    }
    this.total++;
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.total--;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    });
    STARTERS[this.protocol](socket, {
      protocol: this.protocol,
      settings: () => this.settings(),
      secureContext: () => this.secureContext(),
      authenticator: this.deps.authenticator,
      log: this.deps.log,
      serverName: this.snapshot.server.name,
      clientAddress: address,
      ...(socket.remotePort !== undefined ? { clientPort: socket.remotePort } : {}),
      implicitTls,
      backend: () => this.deps.backendFor?.(this.protocol),
    });
  }

  async stop(): Promise<void> {
    await this.listeners.closeAll(true);
  }
}
