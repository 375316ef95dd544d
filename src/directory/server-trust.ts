// How the servers of one organization know each other: direct trust by the certificates the
// directory holds for each server (as Exchange's ExchangeServer authentication trusts the
// certificates published in Active Directory), and where a server's back-end ports are. Used by
// the mail delivery port (LMTP, 2525) and the IMAP4/POP3 proxy ports (1993, 1995).
import type { Certificate, Directory, Server } from './directory.ts';

/** Exchange's thumbprint form (SHA-1, upper-case hex) of a certificate Node hands over. */
export function thumbprintOf(cert: { fingerprint?: string } | undefined | null): string | undefined {
  const fp = cert?.fingerprint;
  return fp ? fp.replace(/:/g, '').toUpperCase() : undefined;
}

/**
 * The server of the organization a certificate belongs to: the directory holds every server's
 * certificates, and a peer that presents one of them (and, TLS having checked it, holds its key)
 * is that server. A certificate of another organization, or a self-made one, names nobody.
 */
export async function serverOfCertificate(directory: Directory, thumbprint: string | undefined): Promise<string | undefined> {
  if (!thumbprint) return undefined;
  const found = (await directory.certificates()).find((c: Certificate) => c.thumbprint.toUpperCase() === thumbprint);
  return found?.server;
}

/** The port a server's service reported in its heartbeat (Get-Service's "0.0.0.0:2525, [::]:2525"). */
export function reportedPort(status: Record<string, string> | null | undefined, service: string): number | undefined {
  const listening = status?.[service];
  const m = listening ? /:(\d{1,5})(?:[ ,]|$)/.exec(listening) : null;
  return m ? Number(m[1]) : undefined;
}

/** Where to reach a back-end port of another server, and the certificates it may present. */
export interface ServerTarget {
  server: string;
  host: string;
  port: number;
  /** Thumbprints of the certificates the directory holds for the server. */
  thumbprints: readonly string[];
  /** The same certificates in PEM, as trust anchors for the (usually self-signed) ones. */
  certificates: readonly string[];
}

/**
 * A server's back-end port for a service: its FQDN, and the port its heartbeat reported for the
 * service, else `defaultPort` (the setting plus this process's port offset).
 */
export async function serverTarget(
  directory: Directory, server: Server | string, service: string, defaultPort: number, localServer?: string,
): Promise<ServerTarget> {
  const found = typeof server === 'string' ? await directory.server(server) : server;
  const certificates = await directory.certificates(found.name);
  // This server's own back-end process (start --role frontend, --split) is reached over
  // loopback: its FQDN may name a public address, or not resolve on a one-machine setup. The
  // back-end ports listen on every address unless told otherwise.
  const self = localServer !== undefined && localServer.toLowerCase() === found.name.toLowerCase();
  return {
    server: found.name,
    host: self ? '127.0.0.1' : found.fqdn,
    port: reportedPort(found.status, service) ?? defaultPort,
    thumbprints: certificates.map((c) => c.thumbprint.toUpperCase()),
    certificates: certificates.map((c) => c.certPem),
  };
}
