// Get-WebSettings, Set-WebSettings: where the web service's monitoring endpoints listen.
import { WEB_SETTINGS } from '../../config/web.ts';
import { displaySettings, settingParameters, type Cmdlet } from '../cmdlet.ts';

const SERVER = { name: 'Server', kind: 'string', help: 'Server; the local (first) server when omitted.' } as const;

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
];
