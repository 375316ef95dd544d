// Get-PopSettings, Set-PopSettings, Get-ImapSettings, Set-ImapSettings.
import { IMAP_SETTINGS, POP_SETTINGS } from '../../config/pop-imap.ts';
import type { SettingDef } from '../../config/model.ts';
import { displaySettings, settingParameters, type Cmdlet } from '../cmdlet.ts';
import type { ParameterSpec } from '../types.ts';
import { warnAboutServedCertificates } from './certificates.ts';

const SERVER: ParameterSpec = { name: 'Server', kind: 'string', help: 'Server to read or change; this server when omitted (MAILROOM_SERVER, or the host name).' };

function family(noun: 'PopSettings' | 'ImapSettings', defs: readonly SettingDef[], label: string): Cmdlet[] {
  const get: Cmdlet = {
    name: `Get-${noun}`,
    synopsis: `Shows the ${label} settings of a server.`,
    parameters: [SERVER],
    examples: [`Get-${noun}`, `Get-${noun} -Server MAIL01`],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const doc = await ctx.directory.settings(noun, server.name);
      return [{ Server: server.name, Identity: `${server.name}\\1`, ...displaySettings(defs, doc) }];
    },
  };
  const set: Cmdlet = {
    name: `Set-${noun}`,
    synopsis: `Changes the ${label} settings of a server; running services apply them within a second.`,
    parameters: [SERVER, ...settingParameters(defs)],
    examples: noun === 'PopSettings'
      ? [
          `Set-PopSettings -LoginType SecureLogin`,
          `Set-PopSettings -ExternalConnectionSettings '{Dublin01.Contoso.com:995:SSL}'`,
          `Set-PopSettings -ExternalConnectionSettings "mail.contoso.com:995:SSL","mail.contoso.com:110:TLS" -X509CertificateName mail.contoso.com`,
        ]
      : [
          `Set-ImapSettings -ExternalConnectionSettings "mail.contoso.com:993:SSL","mail.contoso.com:143:TLS"`,
          `Set-ImapSettings -Banner "Welcome to Contoso mail" -MaxConnectionsPerUser 20`,
          `Set-ImapSettings -ProtocolLogEnabled $true`,
        ],
    async run(args, ctx) {
      const { Server, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error(`Set-${noun} needs at least one setting to change. Get-Help Set-${noun} lists them.`);
      await ctx.directory.updateSettings(noun, changes, Server as string | undefined);
      // The certificate chosen by X509CertificateName must cover the names published to clients.
      if ('X509CertificateName' in changes || 'ExternalConnectionSettings' in changes) {
        const server = await ctx.directory.server(Server as string | undefined);
        await warnAboutServedCertificates(ctx, server.name, [noun === 'PopSettings' ? 'POP' : 'IMAP']);
      }
    },
  };
  return [get, set];
}

export const protocolSettingsCmdlets: Cmdlet[] = [
  ...family('PopSettings', POP_SETTINGS, 'POP3'),
  ...family('ImapSettings', IMAP_SETTINGS, 'IMAP4'),
];
