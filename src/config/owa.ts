// OwaVirtualDirectory (Exchange's "owa (Default Web Site)" of each server): the URLs users reach
// Outlook on the web at. They are what the meeting-request links of CalendarItemRetrievalOption
// point to: IntranetUrl uses InternalUrl, InternetUrl uses ExternalUrl (research §4.2).
import type { SettingDef } from './model.ts';

/** The web service serves its pages under /owa, so a URL must end there to lead anywhere. */
export function owaUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as https://mail.contoso.com/owa (got '${value}').`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an http or https URL (got '${value}').`;
  if (url.search || url.hash || url.username || url.password) return `must be a plain URL without query, fragment or user name (got '${value}').`;
  let path = url.pathname;
  while (path.endsWith('/')) path = path.slice(0, -1);
  if (path.toLowerCase() !== '/owa') {
    return `must end in /owa, where Mailroom's web service serves Outlook on the web's pages (got '${value}').`;
  }
  return undefined;
}

export const OWA_VIRTUAL_DIRECTORY: readonly SettingDef[] = [
  { name: 'InternalUrl', kind: 'string', nullable: true, check: owaUrlProblem, default: (ctx) => `https://${ctx.fqdn}/owa`,
    help: 'URL of Outlook on the web inside the network; meeting links of CalendarItemRetrievalOption IntranetUrl lead here.' },
  { name: 'ExternalUrl', kind: 'string', nullable: true, check: owaUrlProblem, default: null,
    help: 'URL of Outlook on the web from the Internet; meeting links of CalendarItemRetrievalOption InternetUrl lead here ($null: the host published in ExternalConnectionSettings).' },
];
