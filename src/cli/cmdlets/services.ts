// Get-Service, Set-Service, Start-Service, Stop-Service, Restart-Service for Mailroom's services.
import { findService, SERVICES, shouldRun, splitProcessId, STARTUP_TYPES, type ServiceName } from '../../config/services.ts';
import type { Directory, ServiceRecord } from '../../directory/directory.ts';
import type { Cmdlet, OutputObject } from '../cmdlet.ts';
import type { ParameterSpec } from '../types.ts';

const NAME: ParameterSpec = {
  name: 'Name', kind: 'string', multi: true, positional: 0, aliases: ['Identity', 'ServiceName'],
  help: `Service names: ${SERVICES.map((s) => `${s.name} (${s.exchangeName})`).join(', ')}.`,
};
const SERVER: ParameterSpec = { name: 'Server', kind: 'string', aliases: ['ComputerName'], help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name).' };

/** A server counts as running when it reported within this window. */
const HEARTBEAT_FRESH_MS = 5000;

function resolveNames(names: unknown): ServiceName[] {
  const list = (names as string[] | undefined) ?? [];
  return list.map((n) => {
    const s = findService(n);
    if (!s) throw new Error(`-Name: there is no service '${n}'. Services: ${SERVICES.map((x) => `${x.name} (${x.exchangeName})`).join(', ')}.`);
    return s.name;
  });
}

async function show(directory: Directory, serverName: string | undefined, only?: ServiceName[]): Promise<OutputObject[]> {
  const server = await directory.server(serverName);
  const records = await directory.services(server.name);
  const live = server.heartbeatAt !== null && Date.now() - server.heartbeatAt < HEARTBEAT_FRESH_MS;
  return records
    .filter((r) => !only || only.length === 0 || only.includes(r.name))
    .map((r: ServiceRecord) => {
      const info = SERVICES.find((s) => s.name === r.name)!;
      const reported = live ? server.status?.[r.name] : undefined;
      const running = reported === undefined ? undefined : splitProcessId(reported);
      return {
        Name: r.name,
        ServiceName: info.exchangeName,
        DisplayName: info.displayName,
        Server: server.name,
        StartupType: r.startupType,
        Status: reported ? 'Running' : 'Stopped',
        Wanted: shouldRun(r.startupType, r.explicit) ? 'Running' : 'Stopped',
        Listening: running?.listening ?? '',
        // The process that runs it: one for the whole server, or one per tier (start --split).
        ProcessId: running?.pid ?? null,
      };
    });
}

export const serviceCmdlets: Cmdlet[] = [
  {
    name: 'Get-Service',
    synopsis: 'Shows Mailroom services, their startup type, and whether a running server has them up.',
    parameters: [NAME, SERVER],
    examples: ['Get-Service', 'Get-Service MSExchangeIMAP4'],
    async run(args, ctx) {
      return show(ctx.directory, args.Server as string | undefined, resolveNames(args.Name));
    },
  },
  {
    name: 'Set-Service',
    synopsis: 'Sets the startup type: Automatic (runs whenever the server runs), Manual (runs after Start-Service), Disabled.',
    parameters: [NAME, SERVER, { name: 'StartupType', kind: 'enum', values: STARTUP_TYPES, required: true, help: 'Automatic, Manual or Disabled.' }],
    examples: ['Set-Service msExchangePOP3 -StartupType Automatic', 'Set-Service imap4,imap4-backend -StartupType Automatic'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const names = resolveNames(args.Name);
      if (names.length === 0) throw new Error('Set-Service needs a service -Name.');
      for (const n of names) await ctx.directory.setServiceStartupType(server.name, n, args.StartupType as (typeof STARTUP_TYPES)[number]);
    },
  },
  {
    name: 'Start-Service',
    synopsis: 'Starts services on a running server (within a second) and keeps them started across restarts.',
    parameters: [NAME, SERVER],
    examples: ['Start-Service msExchangePOP3', 'Start-Service imap4,imap4-backend'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const names = resolveNames(args.Name);
      if (names.length === 0) throw new Error('Start-Service needs a service -Name.');
      for (const n of names) await ctx.directory.setServiceState(server.name, n, 'started');
    },
  },
  {
    name: 'Stop-Service',
    synopsis: 'Stops services on a running server until Start-Service or a new Set-Service -StartupType.',
    parameters: [NAME, SERVER],
    examples: ['Stop-Service msExchangeIMAP4'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const names = resolveNames(args.Name);
      if (names.length === 0) throw new Error('Stop-Service needs a service -Name.');
      for (const n of names) await ctx.directory.setServiceState(server.name, n, 'stopped');
    },
  },
  {
    name: 'Restart-Service',
    synopsis: 'Stops services on a running server and starts them again (within a second); their sessions end, as when Exchange restarts a service. A stopped service is started.',
    parameters: [NAME, SERVER, { name: 'Force', kind: 'switch', help: 'Accepted as in Windows PowerShell; a service that others depend on restarts alone either way.' }],
    examples: ['Restart-Service MSExchangeIMAP4', 'Restart-Service MSExchangePOP3,MSExchangePOP3BE'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const names = resolveNames(args.Name);
      if (names.length === 0) throw new Error('Restart-Service needs a service -Name.');
      for (const n of names) await ctx.directory.restartService(server.name, n);
    },
  },
];
