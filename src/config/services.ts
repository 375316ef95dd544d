// The services a server runs. Exchange's own names are accepted as aliases so that
// `Set-Service MSExchangeIMAP4 -StartupType Automatic` works as an Exchange admin types it.

export const SERVICE_NAMES = ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'smtp', 'smtp-backend', 'web'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const STARTUP_TYPES = ['Automatic', 'Manual', 'Disabled'] as const;
export type StartupType = (typeof STARTUP_TYPES)[number];

export interface ServiceInfo {
  name: ServiceName;
  exchangeName: string;
  displayName: string;
  /** Startup type right after setup: POP3 and IMAP4 are off, as in Exchange. */
  initialStartupType: StartupType;
}

export const SERVICES: readonly ServiceInfo[] = [
  { name: 'imap4', exchangeName: 'MSExchangeIMAP4', displayName: 'Mailroom IMAP4', initialStartupType: 'Disabled' },
  { name: 'imap4-backend', exchangeName: 'MSExchangeIMAP4BE', displayName: 'Mailroom IMAP4 Backend', initialStartupType: 'Disabled' },
  { name: 'pop3', exchangeName: 'MSExchangePOP3', displayName: 'Mailroom POP3', initialStartupType: 'Disabled' },
  { name: 'pop3-backend', exchangeName: 'MSExchangePOP3BE', displayName: 'Mailroom POP3 Backend', initialStartupType: 'Disabled' },
  { name: 'smtp', exchangeName: 'MSExchangeFrontEndTransport', displayName: 'Mailroom Transport', initialStartupType: 'Automatic' },
  // The back end's mail delivery port (LMTP on 2525) where the other servers' smtp services
  // deliver to the mailbox databases mounted here; Exchange's Transport service on 2525.
  { name: 'smtp-backend', exchangeName: 'MSExchangeTransport', displayName: 'Mailroom Transport Backend', initialStartupType: 'Automatic' },
  { name: 'web', exchangeName: 'W3SVC', displayName: 'Mailroom Web', initialStartupType: 'Automatic' },
];

export function findService(name: string): ServiceInfo | undefined {
  const key = name.toLowerCase();
  return SERVICES.find((s) => s.name === key || s.exchangeName.toLowerCase() === key);
}

/** What Start-Service / Stop-Service last said; null once Set-Service -StartupType changes it. */
export type ExplicitState = 'started' | 'stopped' | null;

/**
 * Whether a service should run: Disabled never; otherwise what Start-Service or Stop-Service
 * said last; with neither, Automatic runs and Manual waits.
 */
export function shouldRun(startupType: StartupType, explicit: ExplicitState): boolean {
  if (startupType === 'Disabled') return false;
  if (explicit !== null) return explicit === 'started';
  return startupType === 'Automatic';
}

// A running server's heartbeat says, per service, where it listens and which process runs it:
// "127.0.0.1:143, 127.0.0.1:993 (TLS) (pid 4711)". With the tiers in separate processes
// (`start --split`, `--role`) Get-Service shows each service's own process.
const PID_SUFFIX = ' (pid ';

/** The heartbeat text of a service: where it listens, and the process that runs it. */
export function withProcessId(listening: string, pid: number): string {
  return `${listening}${PID_SUFFIX}${pid})`;
}

/** The two parts of a heartbeat text (an older server's has no process id). */
export function splitProcessId(reported: string): { listening: string; pid: number | null } {
  const at = reported.lastIndexOf(PID_SUFFIX);
  if (at < 0 || !reported.endsWith(')')) return { listening: reported, pid: null };
  const digits = reported.slice(at + PID_SUFFIX.length, -1);
  const pid = Number(digits);
  return digits !== '' && Number.isInteger(pid) && pid > 0 ? { listening: reported.slice(0, at), pid } : { listening: reported, pid: null };
}
