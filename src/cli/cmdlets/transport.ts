// Get-ReceiveConnector, New-ReceiveConnector, Set-ReceiveConnector, Remove-ReceiveConnector, Get-TransportConfig, Set-TransportConfig.
import { RECEIVE_CONNECTOR_SETTINGS } from '../../config/receive-connector.ts';
import { TRANSPORT_CONFIG } from '../../config/transport.ts';
import type { ReceiveConnector } from '../../directory/directory.ts';
import { displaySettings, settingParameters, type Cmdlet, type OutputObject } from '../cmdlet.ts';

function show(c: ReceiveConnector): OutputObject {
  return { Identity: c.identity, Name: c.name, Server: c.server, ...displaySettings(RECEIVE_CONNECTOR_SETTINGS, c.settings) };
}

export const transportCmdlets: Cmdlet[] = [
  {
    name: 'Get-ReceiveConnector',
    synopsis: 'Shows receive connectors: "Default Frontend <server>" (25), "Client Frontend <server>" (587) and "Client Frontend Secure <server>" (465).',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'SERVER\\Name or Name; all connectors when omitted.' },
      { name: 'Server', kind: 'string', help: 'Only the connectors of this server.' },
    ],
    examples: ['Get-ReceiveConnector', 'Get-ReceiveConnector "Client Frontend MAIL01"'],
    async run(args, ctx) {
      if (args.Identity) return [show(await ctx.directory.receiveConnector(args.Identity as string))];
      return (await ctx.directory.receiveConnectors(args.Server as string | undefined)).map(show);
    },
  },
  {
    name: 'New-ReceiveConnector',
    synopsis: 'Creates a receive connector. Several may share a binding when their RemoteIPRanges differ: the most specific match serves a client.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'Name of the connector.' },
      { name: 'Server', kind: 'string', help: 'Server the connector runs on; this server when omitted (MAILROOM_SERVER, or the host name).' },
      { name: 'Custom', kind: 'switch', help: 'The connector starts from Exchange\'s defaults and the settings given here; Custom is the only usage type (Exchange\'s -Internet, -Internal, -Client and -Partner presets are not offered: give -PermissionGroups and -AuthMechanism).' },
      ...settingParameters(RECEIVE_CONNECTOR_SETTINGS),
    ],
    examples: [
      'New-ReceiveConnector "Scanners" -Bindings 0.0.0.0:25 -RemoteIPRanges 192.168.1.50,192.168.1.51 -PermissionGroups AnonymousUsers -RejectUnauthenticatedInternalSenders $false',
    ],
    async run(args, ctx) {
      const { Name, Server, Custom: _custom, ...changes } = args;
      return [show(await ctx.directory.newReceiveConnector(Server as string | undefined, Name as string, changes))];
    },
  },
  {
    name: 'Set-ReceiveConnector',
    synopsis: 'Changes a receive connector; the SMTP service applies it within a second.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'SERVER\\Name or Name of the connector.' },
      ...settingParameters(RECEIVE_CONNECTOR_SETTINGS),
    ],
    examples: [
      'Set-ReceiveConnector "Client Frontend MAIL01" -AdvertiseClientSettings $true -Fqdn Dublin01.Contoso.com',
      'Set-ReceiveConnector "Default Frontend MAIL01" -MaxMessageSize 25MB -MaxRecipientsPerMessage 100',
    ],
    async run(args, ctx) {
      const { Identity, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error('Set-ReceiveConnector needs at least one setting to change.');
      await ctx.directory.updateReceiveConnector(Identity as string, changes);
    },
  },
  {
    name: 'Remove-ReceiveConnector',
    synopsis: 'Removes a receive connector; a running SMTP service closes its bindings within a second (sessions in progress finish).',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'SERVER\\Name or Name of the connector.' }],
    examples: ['Remove-ReceiveConnector "MAIL01\\Scanners"'],
    async run(args, ctx) {
      const removed = await ctx.directory.removeReceiveConnector(args.Identity as string);
      const others = (await ctx.directory.receiveConnectors(removed.server)).filter((c) => c.settings.Enabled !== false);
      if (others.length === 0) ctx.warn(`${removed.server} has no enabled receive connector left: it accepts no SMTP mail until New-ReceiveConnector.`);
    },
  },
  {
    name: 'Get-TransportConfig',
    synopsis: 'Shows the organization-wide message limits.',
    parameters: [],
    async run(_args, ctx) {
      return [displaySettings(TRANSPORT_CONFIG, await ctx.directory.settings('TransportConfig'))];
    },
  },
  {
    name: 'Set-TransportConfig',
    synopsis: 'Changes the organization-wide message limits (the smallest of these and a connector\'s MaxMessageSize wins).',
    parameters: settingParameters(TRANSPORT_CONFIG),
    examples: ['Set-TransportConfig -MaxReceiveSize 25MB -MaxSendSize 25MB'],
    async run(args, ctx) {
      if (Object.keys(args).length === 0) throw new Error('Set-TransportConfig needs at least one setting to change.');
      await ctx.directory.updateSettings('TransportConfig', args);
    },
  },
];
