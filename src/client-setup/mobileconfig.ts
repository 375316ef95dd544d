// An Apple configuration profile (.mobileconfig) with one com.apple.mail.managed payload, for
// iOS and macOS Mail. Unsigned: the device shows it as "Not Verified" but installs it. The
// identifiers are derived from the mailbox, so downloading it again replaces the same account
// instead of adding a second one. No password is put in the profile: Mail asks for it.
import { createHash } from 'node:crypto';
import type { Endpoint, SetupSettings } from './settings.ts';
import { escapeXml } from './xml.ts';

export interface MobileconfigInput {
  settings: SetupSettings;
  emailAddress: string;
  /** The logon name Mail should use (the address, or user@domain\alias for a delegated mailbox). */
  userName: string;
  displayName: string;
  organization: string;
  /** Texts shown by the device, already translated. */
  accountDescription: string;
  profileDescription: string;
  /** Stable seed for identifiers: the mailbox id. */
  seed: string;
}

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

function plist(value: PlistValue, indent: string): string {
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (typeof value === 'number') return `${indent}<integer>${value}</integer>`;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  if (Array.isArray(value)) return `${indent}<array>\n${value.map((v) => plist(v, indent + '  ')).join('\n')}\n${indent}</array>`;
  const entries = Object.entries(value).map(([k, v]) => `${indent}  <key>${escapeXml(k)}</key>\n${plist(v, indent + '  ')}`);
  return `${indent}<dict>\n${entries.join('\n')}\n${indent}</dict>`;
}

/** A UUID-shaped value from a hash, so it is the same on every download. */
function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

/** The incoming account type: IMAP when it is offered, else POP. */
function incoming(settings: SetupSettings): { type: 'EmailTypeIMAP' | 'EmailTypePOP'; endpoint: Endpoint } | undefined {
  const imap = settings.endpoints.imap[0];
  if (imap) return { type: 'EmailTypeIMAP', endpoint: imap };
  const pop = settings.endpoints.pop[0];
  return pop ? { type: 'EmailTypePOP', endpoint: pop } : undefined;
}

/** Whether a profile can be made: Mail needs an incoming and an outgoing server. */
export function canMakeMobileconfig(settings: SetupSettings): boolean {
  return incoming(settings) !== undefined && settings.endpoints.smtp.length > 0;
}

export function mobileconfigXml(input: MobileconfigInput): string {
  const inbound = incoming(input.settings);
  const outbound = input.settings.endpoints.smtp[0];
  if (!inbound || !outbound) throw new Error('no incoming or outgoing server to configure');
  // Apple's Mail has one switch per server: SSL on means TLS, which it also uses for STARTTLS.
  const useTls = (e: Endpoint) => e.encryption !== '';
  const reverse = input.emailAddress.split('@')[1]?.split('.').reverse().join('.') ?? 'local';
  const mail: PlistValue = {
    PayloadType: 'com.apple.mail.managed',
    PayloadVersion: 1,
    PayloadIdentifier: `${reverse}.mailroom.mail.${stableUuid(`${input.seed}:mail`)}`,
    PayloadUUID: stableUuid(`${input.seed}:mail`),
    PayloadDisplayName: input.accountDescription,
    EmailAccountDescription: input.accountDescription,
    EmailAccountName: input.displayName,
    EmailAccountType: inbound.type,
    EmailAddress: input.emailAddress,
    IncomingMailServerHostName: inbound.endpoint.host,
    IncomingMailServerPortNumber: inbound.endpoint.port,
    IncomingMailServerUseSSL: useTls(inbound.endpoint),
    IncomingMailServerUsername: input.userName,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: outbound.host,
    OutgoingMailServerPortNumber: outbound.port,
    OutgoingMailServerUseSSL: useTls(outbound),
    OutgoingMailServerUsername: input.userName,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingPasswordSameAsIncomingPassword: true,
    PreventMove: false,
    PreventAppSheet: false,
    SMIMEEnabled: false,
    disableMailRecentsSyncing: false,
  };
  const profile: PlistValue = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: `${reverse}.mailroom.profile.${stableUuid(`${input.seed}:profile`)}`,
    PayloadUUID: stableUuid(`${input.seed}:profile`),
    PayloadDisplayName: input.accountDescription,
    PayloadDescription: input.profileDescription,
    PayloadOrganization: input.organization,
    PayloadRemovalDisallowed: false,
    PayloadContent: [mail],
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plist(profile, ''),
    '</plist>',
    '',
  ].join('\n');
}
