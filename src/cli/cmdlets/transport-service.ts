// Get-/Set-TransportService and Get-/Set-FrontendTransportService: the receive protocol log's
// age and size limits of a server. Exchange 2013 has both services, each with its own logs;
// Mailroom's one SMTP service writes the front end's receive log, so both cmdlet pairs show and
// set the same values (config/transport-service.ts).
import { SEND_PROTOCOL_LOG_PARAMETERS, TRANSPORT_SERVICE_SETTINGS } from '../../config/transport-service.ts';
import { displaySettings, settingParameters, type Cmdlet } from '../cmdlet.ts';

const IDENTITY = { name: 'Identity', kind: 'string', positional: 0, help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name).' } as const;
const SEND_PARAMETERS = SEND_PROTOCOL_LOG_PARAMETERS.map((name) => ({
  name, kind: 'string', help: 'Refused: Mailroom writes no send protocol log.',
}) as const);

function pair(noun: 'TransportService' | 'FrontendTransportService'): Cmdlet[] {
  return [
    {
      name: `Get-${noun}`,
      synopsis: 'Shows how long and how much of the SMTP receive protocol log a server keeps.',
      parameters: [IDENTITY],
      async run(args, ctx) {
        const server = await ctx.directory.server(args.Identity as string | undefined);
        return [{ Identity: server.name, Name: server.name, ...displaySettings(TRANSPORT_SERVICE_SETTINGS, await ctx.directory.settings('TransportService', server.name)) }];
      },
    },
    {
      name: `Set-${noun}`,
      synopsis: 'Changes the receive protocol log limits; the running SMTP service applies them (and deletes what no longer fits) within a second.',
      parameters: [IDENTITY, ...settingParameters(TRANSPORT_SERVICE_SETTINGS), ...SEND_PARAMETERS],
      examples: [`Set-${noun} MAIL01 -ReceiveProtocolLogMaxAge 7.00:00:00 -ReceiveProtocolLogMaxDirectorySize 1GB`],
      async run(args, ctx) {
        const { Identity, ...changes } = args;
        const send = SEND_PROTOCOL_LOG_PARAMETERS.find((p) => p in changes);
        if (send) {
          throw new Error(`Mailroom does not support -${send}: it writes no send protocol log (the outbound queue's conversations with other servers are not logged), so the setting would have no effect.`);
        }
        if (Object.keys(changes).length === 0) throw new Error(`Set-${noun} needs at least one setting to change.`);
        await ctx.directory.updateSettings('TransportService', changes, Identity as string | undefined);
      },
    },
  ];
}

export const transportServiceCmdlets: Cmdlet[] = [...pair('TransportService'), ...pair('FrontendTransportService')];
