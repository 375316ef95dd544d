// Organization-wide transport limits (Set-TransportConfig). The smallest of these and a
// connector's MaxMessageSize wins, so the effective default is 10 MB. DelayNotificationTimeout is
// a Set-TransportService (per server) setting in Exchange 2013; Mailroom keeps it here, for the
// whole organization.
import type { SettingDef } from './model.ts';

const MB = 1024 * 1024;
const DAY = 86400;

export const TRANSPORT_CONFIG: readonly SettingDef[] = [
  { name: 'MaxReceiveSize', kind: 'size', min: 0, max: 2048 * MB, allowUnlimited: true, default: 10 * MB,
    help: 'Largest message the organization accepts.' },
  { name: 'MaxSendSize', kind: 'size', min: 0, max: 2048 * MB, allowUnlimited: true, default: 10 * MB,
    help: 'Largest message users of the organization may send.' },
  { name: 'MaxRecipientEnvelopeLimit', kind: 'int', min: 0, max: 2147483647, allowUnlimited: true, default: 500,
    help: 'Recipients allowed in one message envelope.' },
  { name: 'DmarcRejectAction', kind: 'enum', values: ['Reject', 'Junk', 'Accept'], default: 'Reject',
    help: 'Mailroom: what happens to Internet mail that fails DMARC where the domain publishes p=reject: Reject (550 5.7.1), Junk (delivered to Junk Email) or Accept.' },
  { name: 'ExternalPostmasterAddress', kind: 'string', nullable: true, default: null,
    help: 'Sender of delivery status notifications; $null uses postmaster@<default accepted domain>.' },
  { name: 'DelayNotificationTimeout', kind: 'timespan', min: 1, max: 30 * DAY, default: 4 * 3600,
    help: 'How long a message may wait in the queue before its sender gets one "Delivery delayed" notification (RFC 3464 Action: delayed) for the recipients still waiting, unless the recipient\'s NOTIFY leaves out DELAY. Exchange sets this with Set-TransportService.' },
];
