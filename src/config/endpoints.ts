// The two textual forms Exchange uses for listeners and for published client settings.
import { isIP } from 'node:net';

export interface Binding {
  address: string;   // '0.0.0.0', '::', '127.0.0.1', …
  port: number;
}

/** `0.0.0.0:995`, `[::]:995`, `192.168.1.10:110` (Exchange's IPAddress:Port form). */
export function parseBinding(text: string): Binding | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const address = m[1]!;
  const port = Number(m[2]);
  if (isIP(address) === 0 || port < 1 || port > 65535) return undefined;
  return { address, port };
}

export function formatBinding(b: Binding): string {
  return isIP(b.address) === 6 ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

export function checkBinding(text: string): string | undefined {
  return parseBinding(text)
    ? undefined
    : `entries must be IPAddress:Port such as 0.0.0.0:995 or [::]:995 (got '${text}').`;
}

export type Encryption = 'SSL' | 'TLS' | '';

export interface ConnectionSetting {
  host: string;
  port: number;
  encryption: Encryption;
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isHostName(text: string): boolean {
  return HOSTNAME.test(text) || isIP(text) !== 0;
}

/** `mail.contoso.com:995:SSL`, `mail.contoso.com:110:TLS`, `mail.contoso.com:110` (no encryption). */
export function parseConnectionSetting(text: string): ConnectionSetting | undefined {
  const m = /^([^:\s]+):(\d{1,5})(?::(SSL|TLS)?)?$/i.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!isHostName(m[1]!) || port < 1 || port > 65535) return undefined;
  return { host: m[1]!, port, encryption: (m[3]?.toUpperCase() ?? '') as Encryption };
}

export function formatConnectionSetting(s: ConnectionSetting): string {
  return `${s.host}:${s.port}:${s.encryption}`;
}

export function checkConnectionSetting(text: string): string | undefined {
  return parseConnectionSetting(text)
    ? undefined
    : `entries must be HostName:Port:Encryption where Encryption is SSL, TLS or blank, such as mail.contoso.com:995:SSL (got '${text}').`;
}
