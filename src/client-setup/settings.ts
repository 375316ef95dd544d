// The connection settings Mailroom publishes to users and mail clients, read from the same
// configuration Exchange uses (exchange-features.md §5, §4.6):
//
//   POP and IMAP   ExternalConnectionSettings (published) and InternalConnectionSettings
//                  (inside the network) of PopSettings / ImapSettings.
//   SMTP           Receive connectors with AdvertiseClientSettings $true: server name = the
//                  connector's Fqdn, port = its binding's port, encryption SSL for implicit TLS
//                  (465) or TLS for STARTTLS.
//
// Every list is ordered with SSL (implicit TLS) entries first. The settings page shows only the
// first entry of each list, which is Exchange's rule "when both SSL and TLS are set, only the SSL
// entry is shown"; autoconfig lists them all.
import { parseBinding, parseConnectionSetting, type Encryption } from '../config/endpoints.ts';
import type { SettingsDocument } from '../config/model.ts';
import type { Directory, ReceiveConnector } from '../directory/directory.ts';

export type ClientProtocol = 'pop' | 'imap' | 'smtp';
export const CLIENT_PROTOCOLS: readonly ClientProtocol[] = ['pop', 'imap', 'smtp'];

export interface Endpoint {
  host: string;
  port: number;
  /** SSL: TLS from the first byte; TLS: STARTTLS/STLS; '': none. */
  encryption: Encryption;
}

export type EndpointSet = Readonly<Record<ClientProtocol, readonly Endpoint[]>>;

export interface ClientSettings {
  /** What Exchange publishes: empty lists show as "Not available". */
  external: EndpointSet;
  /** For users inside the network. */
  internal: EndpointSet;
}

const RANK: Record<Encryption, number> = { SSL: 0, TLS: 1, '': 2 };

/** SSL first, then TLS, then unencrypted; the order given is kept within each; duplicates dropped. */
export function ordered(list: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return list
    .map((e, i) => ({ e, i }))
    .sort((a, b) => RANK[a.e.encryption] - RANK[b.e.encryption] || a.i - b.i)
    .map(({ e }) => e)
    .filter((e) => {
      const k = `${e.host.toLowerCase()}:${e.port}:${e.encryption}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

export function connectionEndpoints(entries: unknown): Endpoint[] {
  const list = Array.isArray(entries) ? (entries as unknown[]) : [];
  return ordered(list.flatMap((text) => {
    const s = typeof text === 'string' ? parseConnectionSetting(text) : undefined;
    return s ? [s] : [];
  }));
}

function connectorEncryption(c: ReceiveConnector): Encryption {
  if (c.settings.ImplicitTls === true) return 'SSL';
  return (c.settings.AuthMechanism as string[]).includes('Tls') ? 'TLS' : '';
}

function connectorEndpoints(c: ReceiveConnector): Endpoint[] {
  const ports = [...new Set((c.settings.Bindings as string[]).map((b) => parseBinding(b)?.port).filter((p): p is number => p !== undefined))];
  return ports.map((port) => ({ host: String(c.settings.Fqdn), port, encryption: connectorEncryption(c) }));
}

/** SMTP as Exchange publishes it: connectors with AdvertiseClientSettings $true (and, sensibly, enabled). */
export function advertisedSmtp(connectors: readonly ReceiveConnector[]): Endpoint[] {
  return ordered(connectors.filter((c) => c.settings.AdvertiseClientSettings === true && c.settings.Enabled === true).flatMap(connectorEndpoints));
}

/**
 * SMTP for users inside the network, which Exchange has no setting for: the enabled connectors
 * that take mail from signed-in users (PermissionGroups ExchangeUsers), i.e. the submission
 * connectors on 587 and 465.
 */
export function submissionSmtp(connectors: readonly ReceiveConnector[]): Endpoint[] {
  return ordered(connectors
    .filter((c) => c.settings.Enabled === true && (c.settings.PermissionGroups as string[]).includes('ExchangeUsers'))
    .flatMap(connectorEndpoints));
}

export function clientSettingsFrom(pop: SettingsDocument, imap: SettingsDocument, connectors: readonly ReceiveConnector[]): ClientSettings {
  return {
    external: {
      pop: connectionEndpoints(pop.ExternalConnectionSettings),
      imap: connectionEndpoints(imap.ExternalConnectionSettings),
      smtp: advertisedSmtp(connectors),
    },
    internal: {
      pop: connectionEndpoints(pop.InternalConnectionSettings),
      imap: connectionEndpoints(imap.InternalConnectionSettings),
      smtp: submissionSmtp(connectors),
    },
  };
}

/** Read fresh from the directory: a Set-PopSettings shows on the very next request. */
export async function readClientSettings(directory: Directory, serverName: string): Promise<ClientSettings> {
  const [pop, imap, connectors] = await Promise.all([
    directory.settings('PopSettings', serverName),
    directory.settings('ImapSettings', serverName),
    directory.receiveConnectors(serverName),
  ]);
  return clientSettingsFrom(pop, imap, connectors);
}

/** The first entry of a list, or undefined for "Not available". */
export function shownEndpoint(list: readonly Endpoint[]): Endpoint | undefined {
  return list[0];
}

export interface SetupSettings {
  /** external: what the admin published; internal: nothing is published yet, so the internal settings. */
  source: 'external' | 'internal';
  endpoints: EndpointSet;
}

/**
 * What automatic client setup (autoconfig, Autodiscover, .mobileconfig, DNS records) hands out:
 * the published settings when anything is published, else the internal ones, so a new server
 * still sets up clients on its own network. Never a mix of the two, which could pair a public
 * IMAP host with a private SMTP host.
 */
export function setupSettings(settings: ClientSettings): SetupSettings {
  const published = CLIENT_PROTOCOLS.some((p) => settings.external[p].length > 0);
  return published ? { source: 'external', endpoints: settings.external } : { source: 'internal', endpoints: settings.internal };
}
