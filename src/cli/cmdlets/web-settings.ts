// Get-WebSettings, Set-WebSettings: where the web service's monitoring endpoints listen.
// Get-OwaVirtualDirectory, Set-OwaVirtualDirectory: the URLs of Outlook on the web, which the
// meeting links of CalendarItemRetrievalOption IntranetUrl/InternetUrl lead to.
import { OWA_VIRTUAL_DIRECTORY } from '../../config/owa.ts';
import { WEB_SETTINGS } from '../../config/web.ts';
import type { Directory, Server } from '../../directory/directory.ts';
import { displaySettings, settingParameters, type Cmdlet, type OutputObject } from '../cmdlet.ts';

/** Exchange's name of the virtual directory in IIS; each server has one. */
const OWA_NAME = 'owa (Default Web Site)';

/** -Identity as Exchange takes it: "SERVER\owa (Default Web Site)", "owa (Default Web Site)" or SERVER. */
async function owaServer(directory: Directory, identity: string | undefined): Promise<Server> {
  if (identity === undefined) return directory.server();
  const slash = identity.indexOf('\\');
  const server = slash >= 0 ? identity.slice(0, slash) : identity.toLowerCase() === OWA_NAME.toLowerCase() ? undefined : identity;
  const name = slash >= 0 ? identity.slice(slash + 1) : OWA_NAME;
  if (name.toLowerCase() !== OWA_NAME.toLowerCase()) throw new Error(`-Identity: a server has one OWA virtual directory, '${OWA_NAME}' (got '${identity}').`);
  return directory.server(server);
}

async function showOwa(directory: Directory, server: Server): Promise<OutputObject> {
  return {
    Name: OWA_NAME, Server: server.name,
    ...displaySettings(OWA_VIRTUAL_DIRECTORY, await directory.settings('OwaVirtualDirectory', server.name)),
    Identity: `${server.name}\\${OWA_NAME}`,
  };
}

const SERVER = { name: 'Server', kind: 'string', help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name).' } as const;

export const webSettingsCmdlets: Cmdlet[] = [
  {
    name: 'Get-WebSettings',
    synopsis: 'Shows the web service settings of a server.',
    parameters: [SERVER],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      return [{ Server: server.name, ...displaySettings(WEB_SETTINGS, await ctx.directory.settings('WebSettings', server.name)) }];
    },
  },
  {
    name: 'Set-WebSettings',
    synopsis: 'Changes the web service settings; a running web service applies them within a second.',
    parameters: [SERVER, ...settingParameters(WEB_SETTINGS)],
    examples: ['Set-WebSettings -MetricsBindings 127.0.0.1:9090', 'Set-WebSettings -MetricsBindings $null'],
    async run(args, ctx) {
      const { Server, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error('Set-WebSettings needs at least one setting to change.');
      await ctx.directory.updateSettings('WebSettings', changes, Server as string | undefined);
    },
  },
  {
    name: 'Get-OwaVirtualDirectory',
    synopsis: 'Shows the URLs of Outlook on the web of each server: where meeting links of CalendarItemRetrievalOption IntranetUrl (InternalUrl) and InternetUrl (ExternalUrl) lead.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: `"SERVER\\${OWA_NAME}" or SERVER; every server when omitted.` },
      { name: 'Server', kind: 'string', help: 'Only this server\'s virtual directory.' },
    ],
    examples: ['Get-OwaVirtualDirectory', `Get-OwaVirtualDirectory "MAIL01\\${OWA_NAME}"`],
    async run(args, ctx) {
      if (args.Identity !== undefined || args.Server !== undefined) {
        const server = args.Server !== undefined ? await ctx.directory.server(args.Server as string) : await owaServer(ctx.directory, args.Identity as string);
        return [await showOwa(ctx.directory, server)];
      }
      return Promise.all((await ctx.directory.servers()).map((s) => showOwa(ctx.directory, s)));
    },
  },
  {
    name: 'Set-OwaVirtualDirectory',
    synopsis: 'Changes the URLs of Outlook on the web; meeting requests delivered afterwards link there.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: `"SERVER\\${OWA_NAME}", "${OWA_NAME}" (this server) or SERVER.` },
      ...settingParameters(OWA_VIRTUAL_DIRECTORY),
    ],
    examples: [
      `Set-OwaVirtualDirectory "MAIL01\\${OWA_NAME}" -ExternalUrl https://mail.contoso.com/owa -InternalUrl https://mail01.corp.contoso.com/owa`,
    ],
    async run(args, ctx) {
      const { Identity, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error('Set-OwaVirtualDirectory needs -InternalUrl or -ExternalUrl.');
      const server = await owaServer(ctx.directory, Identity as string);
      await ctx.directory.updateSettings('OwaVirtualDirectory', changes, server.name);
    },
  },
];
