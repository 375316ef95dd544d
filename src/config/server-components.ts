// Server component states (Get-/Set-ServerComponentState): how an admin takes a server out of
// service for maintenance without stopping it. Each component has one entry per requester
// (Maintenance, Sidelined, Functional, Deployment, HealthApi); the component is Active only
// while every requester that has set it says Active, and ServerWideOffline Inactive takes every
// other component with it, as in Exchange 2013. Pure: the directory stores the entries
// (src/directory/component-states.ts), the services read the effective states from the
// configuration snapshot.

/**
 * The components Mailroom has. Exchange has more (OwaProxy, EwsProxy, ActiveSyncProxy,
 * Monitoring, …); those name services Mailroom does not run, so setting them is refused rather
 * than stored without an effect.
 */
export const SERVER_COMPONENTS = ['ServerWideOffline', 'HubTransport', 'FrontendTransport', 'ImapProxy', 'PopProxy'] as const;
export type ServerComponent = (typeof SERVER_COMPONENTS)[number];

export const COMPONENT_STATES = ['Active', 'Inactive', 'Draining'] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

export const COMPONENT_REQUESTERS = ['HealthApi', 'Maintenance', 'Sidelined', 'Functional', 'Deployment'] as const;
export type ComponentRequester = (typeof COMPONENT_REQUESTERS)[number];

/** Draining exists only where there is work to finish: the transport components. */
export const DRAINABLE: ReadonlySet<ServerComponent> = new Set(['HubTransport', 'FrontendTransport']);

/** Exchange components Mailroom has no service for, named so the refusal can say why. */
export const UNSUPPORTED_COMPONENTS: readonly string[] = [
  'AutoDiscoverProxy', 'ActiveSyncProxy', 'EcpProxy', 'EwsProxy', 'OabProxy', 'OwaProxy', 'PushNotificationsProxy',
  'RpsProxy', 'RwsProxy', 'RpcProxy', 'UMCallRouter', 'XropProxy', 'HttpProxyAvailabilityGroup', 'ForwardSyncDaemon',
  'ProvisioningRps', 'MapiProxy', 'EdgeTransport', 'HighAvailability', 'SharedCache', 'Monitoring', 'RecoveryActionsEnabled',
];

/** One requester's word on one component. */
export interface ComponentStateEntry {
  component: ServerComponent;
  requester: ComponentRequester;
  state: ComponentState;
  /** When it was set, ISO 8601. */
  updatedAt: string;
}

export type EffectiveComponentStates = Record<ServerComponent, ComponentState>;

// Most restrictive wins: one requester saying Inactive keeps the component Inactive whatever
// the others say; Draining beats Active.
const RANK: Record<ComponentState, number> = { Active: 0, Draining: 1, Inactive: 2 };

/** The state of one component from its own entries, before ServerWideOffline is applied. */
export function ownState(entries: readonly ComponentStateEntry[], component: ServerComponent): ComponentState {
  let state: ComponentState = 'Active';
  for (const e of entries) if (e.component === component && RANK[e.state] > RANK[state]) state = e.state;
  return state;
}

/** Every component's effective state: its own, or Inactive while ServerWideOffline is not Active. */
export function effectiveStates(entries: readonly ComponentStateEntry[]): EffectiveComponentStates {
  const offline = ownState(entries, 'ServerWideOffline') !== 'Active';
  const out = {} as EffectiveComponentStates;
  for (const c of SERVER_COMPONENTS) out[c] = c !== 'ServerWideOffline' && offline ? 'Inactive' : ownState(entries, c);
  return out;
}

export const ALL_ACTIVE: EffectiveComponentStates = effectiveStates([]);

export function findComponent(name: string): ServerComponent | undefined {
  return SERVER_COMPONENTS.find((c) => c.toLowerCase() === name.trim().toLowerCase());
}

/** Why a Set-ServerComponentState cannot be done, or undefined when it can. */
export function componentChangeProblem(component: string, state: ComponentState): string | undefined {
  const known = findComponent(component);
  if (!known) {
    const exchangeOnly = UNSUPPORTED_COMPONENTS.find((c) => c.toLowerCase() === component.trim().toLowerCase());
    if (exchangeOnly) {
      return `-Component: Mailroom does not support ${exchangeOnly}: it runs no service that component controls. Components: ${SERVER_COMPONENTS.join(', ')}.`;
    }
    return `-Component: there is no component '${component}'. Components: ${SERVER_COMPONENTS.join(', ')}.`;
  }
  if (state === 'Draining' && !DRAINABLE.has(known)) {
    return `-State Draining applies to ${[...DRAINABLE].join(' and ')} only; ${known} is Active or Inactive.`;
  }
  return undefined;
}
