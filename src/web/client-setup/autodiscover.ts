// Microsoft Autodiscover, the Plain Old XML flavour that Outlook's IMAP/POP setup, Windows Mail
// and Thunderbird use (protocols.md §4.3): POST /autodiscover/autodiscover.xml with the user's
// address, answered with one Protocol block per protocol. Details that matter to clients:
//   - <SPA>off</SPA> always: a missing SPA element means "on" (NTLM), which we do not offer;
//   - STARTTLS ports say <Encryption>TLS</Encryption> (and SSL off), since <SSL>on</SSL> on 143
//     makes Outlook try implicit TLS; implicit TLS ports say SSL on and Encryption SSL.
import type { Endpoint, SetupSettings } from '../client-settings.ts';
import { element } from './xml.ts';

export const REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const ENVELOPE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';

export interface AutodiscoverRequest {
  emailAddress: string | undefined;
  acceptableSchema: string | undefined;
}

/**
 * Reads the two fields we need with patterns rather than an XML parser: nothing in the request
 * is ever expanded (no entities, no DTD), so hostile documents cost nothing.
 */
export function parseAutodiscoverRequest(body: string): AutodiscoverRequest {
  const field = (name: string) => {
    const m = new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>\\s*([^<]*?)\\s*</(?:\\w+:)?${name}>`, 'i').exec(body.slice(0, 64 * 1024));
    return m?.[1] ? m[1].replace(/&amp;/g, '&') : undefined;
  };
  return { emailAddress: field('EMailAddress'), acceptableSchema: field('AcceptableResponseSchema') };
}

const TYPE = { imap: 'IMAP', pop: 'POP3', smtp: 'SMTP' } as const;

function protocolBlock(type: keyof typeof TYPE, e: Endpoint, loginName: string): string {
  const lines = [
    element('Type', TYPE[type]),
    element('Server', e.host),
    element('Port', e.port),
    element('DomainRequired', 'off'),
    element('LoginName', loginName),
    element('SPA', 'off'),
    element('SSL', e.encryption === 'SSL' ? 'on' : 'off'),
    element('Encryption', e.encryption === 'SSL' ? 'SSL' : e.encryption === 'TLS' ? 'TLS' : 'None'),
    element('AuthRequired', 'on'),
  ];
  if (type === 'smtp') lines.push(element('UsePOPAuth', 'off'), element('SMTPLast', 'off'));
  return `      <Protocol>\n${lines.map((l) => `        ${l}`).join('\n')}\n      </Protocol>`;
}

export function autodiscoverSettingsXml(emailAddress: string, settings: SetupSettings): string {
  const { endpoints } = settings;
  // One block per protocol, the preferred entry: Outlook uses the first block of each type.
  const blocks = (['imap', 'pop', 'smtp'] as const).flatMap((p) => {
    const first = endpoints[p][0];
    return first ? [protocolBlock(p, first, emailAddress)] : [];
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${ENVELOPE_SCHEMA}">`,
    `  <Response xmlns="${RESPONSE_SCHEMA}">`,
    '    <User>',
    `      ${element('AutoDiscoverSMTPAddress', emailAddress)}`,
    '    </User>',
    '    <Account>',
    `      ${element('AccountType', 'email')}`,
    `      ${element('Action', 'settings')}`,
    ...blocks,
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}

/** The POX error answer: 500 for an address we do not serve, 600 for a request we cannot read. */
export function autodiscoverErrorXml(code: 500 | 600 | 601, message: string): string {
  const time = new Date().toISOString().slice(11, 19);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${ENVELOPE_SCHEMA}">`,
    '  <Response>',
    `    <Error Time="${time}" Id="0">`,
    `      ${element('ErrorCode', code)}`,
    `      ${element('Message', message)}`,
    `      ${element('DebugData', '')}`,
    '    </Error>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}
