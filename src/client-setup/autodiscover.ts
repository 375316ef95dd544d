// Microsoft Autodiscover, the Plain Old XML flavour that Outlook's IMAP/POP setup, Windows Mail
// and Thunderbird use (protocols.md §4.3): POST /autodiscover/autodiscover.xml with the user's
// address, answered with one Protocol block per protocol. Details that matter to clients:
//   - <SPA>off</SPA> always: a missing SPA element means "on" (NTLM), which we do not offer;
//   - STARTTLS ports say <Encryption>TLS</Encryption> (and SSL off), since <SSL>on</SSL> on 143
//     makes Outlook try implicit TLS; implicit TLS ports say SSL on and Encryption SSL.
import type { Endpoint, SetupSettings } from './settings.ts';
import { element } from './xml.ts';

export const REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const ENVELOPE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';

export interface AutodiscoverRequest {
  emailAddress: string | undefined;
  acceptableSchema: string | undefined;
}

/**
 * Reads the two fields we need with a scanner rather than an XML parser: nothing in the request
 * is ever expanded (no entities, no DTD), so hostile documents cost nothing.
 */
export function parseAutodiscoverRequest(body: string): AutodiscoverRequest {
  return { emailAddress: elementText(body, 'EMailAddress'), acceptableSchema: elementText(body, 'AcceptableResponseSchema') };
}

const isWordChar = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

/** The end of a run of word characters (A-Z, a-z, 0-9, _) starting at `from`. */
function wordEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWordChar(text.charCodeAt(i))) i++;
  return i;
}

/** ASCII case-insensitive: `name` (lower case) stands in `text` at `at`. */
function namedAt(text: string, at: number, name: string): boolean {
  if (at + name.length > text.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = text.charCodeAt(at + i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * `name` (lower case) at `at`, or after a `prefix:` there, followed by a non-word character:
 * the position after the name, or -1.
 */
function tagNameEnd(text: string, at: number, name: string): number {
  const word = wordEnd(text, at);
  for (const start of word > at && text.charCodeAt(word) === 0x3a /* : */ ? [word + 1, at] : [at]) {
    const end = start + name.length;
    if (namedAt(text, start, name) && !(end < text.length && isWordChar(text.charCodeAt(end)))) return end;
  }
  return -1;
}

/**
 * The trimmed text of the first `<[prefix:]name …>text</[prefix:]name>` whose text holds no
 * markup, with `&amp;` decoded; undefined when there is none or it is empty. One pass: every
 * `<` is looked at once, and the searches for the next `>` and `<` never go back, so the cost
 * is linear in the body whatever it holds (a pattern doing the same was cubic on
 * `<EMailAddress>` followed by spaces).
 */
export function elementText(body: string, name: string): string | undefined {
  const lower = name.toLowerCase();
  let nextGt = -1;
  let nextLt = -1;
  for (let open = body.indexOf('<'); open >= 0; open = body.indexOf('<', open + 1)) {
    const nameEnd = tagNameEnd(body, open + 1, lower);
    if (nameEnd < 0) continue;
    if (nextGt < nameEnd) nextGt = body.indexOf('>', nameEnd);
    if (nextGt < 0) return undefined; // no tag can close any more
    const textStart = nextGt + 1;
    if (nextLt < textStart) nextLt = body.indexOf('<', textStart);
    if (nextLt < 0) return undefined;
    if (body.charCodeAt(nextLt + 1) !== 0x2f /* / */) continue;
    const closeEnd = tagNameEnd(body, nextLt + 2, lower);
    if (closeEnd < 0 || body.charCodeAt(closeEnd) !== 0x3e /* > */) continue;
    const text = body.slice(textStart, nextLt).trim();
    return text ? text.replaceAll('&amp;', '&') : undefined;
  }
  return undefined;
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
