// The environment contract of DESIGN.md §3, read in one place.
import { resolve } from 'node:path';

export function dataFolder(): string {
  return resolve(process.env.MAILROOM_DATA ?? './data');
}

/** Added to every port Mailroom binds, so tests and unprivileged users can run side by side. */
export function portOffset(): number {
  const raw = process.env.MAILROOM_PORT_OFFSET;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65000) {
    throw new Error(`MAILROOM_PORT_OFFSET must be a whole number from 0 to 65000 (got '${raw}')`);
  }
  return n;
}

/**
 * MAILROOM_LOCAL_LINK=off: a server's front-end process reaches its own back-end process over
 * the proxy port with TLS, as another server's would, instead of the local link (a diagnosis
 * switch, and how the benchmarks measure the proxy between servers on one machine).
 */
export function localLinkEnabled(): boolean {
  const raw = process.env.MAILROOM_LOCAL_LINK;
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new Error(`MAILROOM_LOCAL_LINK must be on or off (got '${raw}')`);
}

export function directoryUrl(): string | undefined {
  const url = process.env.MAILROOM_DIRECTORY;
  return url === undefined || url === '' ? undefined : url;
}

export function logLevel(): string {
  return process.env.MAILROOM_LOG_LEVEL ?? 'info';
}

/** MAILROOM_LOG_FORMAT: pretty or json; unset picks pretty on a terminal (lib/log-format.ts). */
export function logFormat(): string | undefined {
  return process.env.MAILROOM_LOG_FORMAT;
}
