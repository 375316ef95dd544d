// The transport service of one server (Set-TransportService / Set-FrontendTransportService):
// how long and how much of the SMTP receive protocol log is kept. Exchange 2013 keeps these
// per transport service; Mailroom has one SMTP service per server, whose receive log is the
// front end's (Logs/FrontEnd/ProtocolLog/SmtpReceive), so both cmdlets set these same values.
// Exchange's defaults (the Front End Transport service's): 30 days, 250 MB, 10 MB.
import { SettingsValidationError, type SettingDef, type SettingsDocument } from './model.ts';

const MB = 1024 * 1024;
const DAY = 86400;

export const TRANSPORT_SERVICE_SETTINGS: readonly SettingDef[] = [
  { name: 'ReceiveProtocolLogMaxAge', kind: 'timespan', min: 0, max: 24855 * DAY, default: 30 * DAY,
    help: 'Receive protocol log files older than this are deleted (checked when a file is started, when this changes and every ten minutes); 00:00:00 keeps them regardless of age.' },
  { name: 'ReceiveProtocolLogMaxDirectorySize', kind: 'size', min: 0, max: 2 ** 53, allowUnlimited: true, default: 250 * MB,
    help: 'When the receive protocol log folder holds more than this, its oldest files are deleted until it fits (the file being written is kept).' },
  { name: 'ReceiveProtocolLogMaxFileSize', kind: 'size', min: 0, max: 2 ** 53, allowUnlimited: true, default: 10 * MB,
    help: 'A receive protocol log file that reaches this size is closed and the next one (RECVyyyyMMdd-N+1.LOG) started; at most ReceiveProtocolLogMaxDirectorySize.' },
];

/** Exchange's rule: a file may not be larger than the folder that keeps it. */
export function checkTransportService(doc: SettingsDocument): void {
  const file = doc.ReceiveProtocolLogMaxFileSize;
  const folder = doc.ReceiveProtocolLogMaxDirectorySize;
  if (folder !== 'unlimited' && (file === 'unlimited' || Number(file) > Number(folder))) {
    throw new SettingsValidationError(
      `ReceiveProtocolLogMaxFileSize (${String(file)}) must not be larger than ReceiveProtocolLogMaxDirectorySize (${String(folder)}).`,
      'ReceiveProtocolLogMaxFileSize',
    );
  }
}

/** Send protocol log parameters of Exchange that Mailroom refuses: it writes no send protocol log. */
export const SEND_PROTOCOL_LOG_PARAMETERS = ['SendProtocolLogMaxAge', 'SendProtocolLogMaxDirectorySize', 'SendProtocolLogMaxFileSize', 'SendProtocolLogPath'] as const;

export interface ReceiveLogLimits {
  /** Milliseconds; 0 keeps files regardless of age. */
  maxAgeMs: number;
  maxDirectoryBytes: number | 'unlimited';
  maxFileBytes: number | 'unlimited';
}

export function receiveLogLimits(doc: Readonly<Record<string, unknown>> | undefined): ReceiveLogLimits {
  const size = (v: unknown, fallback: number) => (v === 'unlimited' ? 'unlimited' : Number.isFinite(Number(v)) && v !== null && v !== undefined ? Number(v) : fallback);
  return {
    maxAgeMs: (doc?.ReceiveProtocolLogMaxAge === undefined ? 30 * DAY : Number(doc.ReceiveProtocolLogMaxAge)) * 1000,
    maxDirectoryBytes: size(doc?.ReceiveProtocolLogMaxDirectorySize, 250 * MB),
    maxFileBytes: size(doc?.ReceiveProtocolLogMaxFileSize, 10 * MB),
  };
}
