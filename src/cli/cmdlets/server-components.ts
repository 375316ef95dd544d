// Get-ServerComponentState and Set-ServerComponentState: taking a server's client access out of
// service for maintenance (new sessions get a temporary error, open ones finish) and back.
import {
  COMPONENT_REQUESTERS, COMPONENT_STATES, componentChangeProblem, effectiveStates, findComponent, SERVER_COMPONENTS,
  type ComponentRequester, type ComponentState, type ComponentStateEntry,
} from '../../config/server-components.ts';
import { componentStateEntries, setComponentState } from '../../directory/component-states.ts';
import type { Cmdlet, OutputObject } from '../cmdlet.ts';
import type { ParameterSpec } from '../types.ts';

const IDENTITY: ParameterSpec = {
  name: 'Identity', kind: 'string', positional: 0, aliases: ['Server'],
  help: 'The server (name or FQDN); this server when omitted (MAILROOM_SERVER, or the host name).',
};

/** What each requester said, newest word per requester: how an admin sees who holds a component. */
function requesters(entries: readonly ComponentStateEntry[], component: string): string[] {
  return entries.filter((e) => e.component === component).map((e) => `${e.requester}: ${e.state} (${e.updatedAt})`);
}

export const serverComponentCmdlets: Cmdlet[] = [
  {
    name: 'Get-ServerComponentState',
    synopsis: 'Shows whether each component of a server (IMAP4, POP3, transport) takes new work: Active, Inactive or Draining.',
    parameters: [IDENTITY, { name: 'Component', kind: 'string', help: `One component: ${SERVER_COMPONENTS.join(', ')}.` }],
    examples: ['Get-ServerComponentState MAIL01', 'Get-ServerComponentState -Identity MAIL01 -Component ImapProxy'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Identity as string | undefined);
      let only: string | undefined;
      if (typeof args.Component === 'string') {
        only = findComponent(args.Component);
        if (!only) throw new Error(componentChangeProblem(args.Component, 'Active'));
      }
      const entries = await componentStateEntries(ctx.directory, server.name);
      const states = effectiveStates(entries);
      return SERVER_COMPONENTS.filter((c) => only === undefined || c === only).map((c): OutputObject => ({
        Server: server.name,
        Component: c,
        State: states[c],
        Requesters: requesters(entries, c),
      }));
    },
  },
  {
    name: 'Set-ServerComponentState',
    synopsis: 'Sets one requester\'s state of a server component; the component is Active only while every requester says Active.',
    parameters: [
      { ...IDENTITY, required: true, help: 'The server (name or FQDN).' },
      { name: 'Component', kind: 'string', required: true, help: `${SERVER_COMPONENTS.join(', ')}. ServerWideOffline Inactive takes every other component with it.` },
      { name: 'State', kind: 'enum', values: COMPONENT_STATES, required: true, help: 'Active, Inactive, or Draining (HubTransport and FrontendTransport: open sessions and the queue finish, nothing new is taken).' },
      { name: 'Requester', kind: 'enum', values: COMPONENT_REQUESTERS, required: true, help: 'Who asks: Maintenance for planned work; each requester\'s word is kept apart.' },
      { name: 'LocalOnly', kind: 'switch', help: 'Refused: Mailroom keeps component states only in the directory.' },
      { name: 'RemoteOnly', kind: 'switch', help: 'Refused: Mailroom keeps component states only in the directory.' },
    ],
    examples: [
      'Set-ServerComponentState MAIL01 -Component ImapProxy -State Inactive -Requester Maintenance',
      'Set-ServerComponentState MAIL01 -Component HubTransport -State Draining -Requester Maintenance',
      'Set-ServerComponentState MAIL01 -Component ServerWideOffline -State Active -Requester Maintenance',
    ],
    async run(args, ctx) {
      for (const name of ['LocalOnly', 'RemoteOnly']) {
        if (args[name] === true) {
          throw new Error(`-${name}: Mailroom does not support it. Exchange keeps a copy of the states in the server's registry and one in Active Directory; Mailroom keeps one, in the directory, which every server and restart reads.`);
        }
      }
      const server = await ctx.directory.server(args.Identity as string);
      const state = args.State as ComponentState;
      const problem = componentChangeProblem(args.Component as string, state);
      if (problem) throw new Error(problem);
      const component = findComponent(args.Component as string)!;
      await setComponentState(ctx.directory, server.name, { component, state, requester: args.Requester as ComponentRequester });
      const effective = effectiveStates(await componentStateEntries(ctx.directory, server.name))[component];
      if (effective !== state) {
        ctx.warn(`${component} on ${server.name} stays ${effective}: ${component === 'ServerWideOffline' ? 'another requester' : 'another requester or ServerWideOffline'} keeps it so. Get-ServerComponentState ${server.name} -Component ${component} shows who.`);
      }
    },
  },
];
