// The rules of Set-ServerComponentState, as pure functions: most restrictive requester wins,
// ServerWideOffline takes the other components with it, Draining only where Exchange has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COMPONENT_REQUESTERS, COMPONENT_STATES, componentChangeProblem, effectiveStates, ownState, SERVER_COMPONENTS,
  type ComponentStateEntry,
} from '../../src/config/server-components.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const at = '2026-12-07T03:00:00.000Z';
const e = (component: ComponentStateEntry['component'], requester: ComponentStateEntry['requester'], state: ComponentStateEntry['state']): ComponentStateEntry =>
  ({ component, requester, state, updatedAt: at });

test('a component is Active only while every requester says Active', () => {
  const cases: [ComponentStateEntry[], string][] = [
    [[], 'Active'],
    [[e('ImapProxy', 'Maintenance', 'Active')], 'Active'],
    [[e('ImapProxy', 'Maintenance', 'Inactive')], 'Inactive'],
    [[e('ImapProxy', 'Maintenance', 'Active'), e('ImapProxy', 'Functional', 'Inactive')], 'Inactive'],
    [[e('ImapProxy', 'Maintenance', 'Inactive'), e('ImapProxy', 'Functional', 'Active')], 'Inactive'],
    [[e('ImapProxy', 'Maintenance', 'Inactive'), e('PopProxy', 'Maintenance', 'Active')], 'Inactive'],
    [[e('PopProxy', 'Maintenance', 'Inactive')], 'Active'],
  ];
  for (const [entries, want] of cases) assert.equal(ownState(entries, 'ImapProxy'), want, JSON.stringify(entries));
  assert.equal(ownState([e('HubTransport', 'Maintenance', 'Draining'), e('HubTransport', 'Sidelined', 'Active')], 'HubTransport'), 'Draining');
  assert.equal(ownState([e('HubTransport', 'Maintenance', 'Draining'), e('HubTransport', 'Sidelined', 'Inactive')], 'HubTransport'), 'Inactive');
});

test('ServerWideOffline not Active makes every other component Inactive, and only while it lasts', () => {
  const states = effectiveStates([e('ServerWideOffline', 'Maintenance', 'Inactive'), e('ImapProxy', 'Maintenance', 'Active')]);
  assert.deepEqual(states, { ServerWideOffline: 'Inactive', HubTransport: 'Inactive', FrontendTransport: 'Inactive', ImapProxy: 'Inactive', PopProxy: 'Inactive' });
  const back = effectiveStates([e('ServerWideOffline', 'Maintenance', 'Active'), e('PopProxy', 'Functional', 'Inactive')]);
  assert.deepEqual(back, { ServerWideOffline: 'Active', HubTransport: 'Active', FrontendTransport: 'Active', ImapProxy: 'Active', PopProxy: 'Inactive' });
});

test('property: the effective state is the most restrictive word about the component or ServerWideOffline', () => {
  const rank = { Active: 0, Draining: 1, Inactive: 2 } as const;
  const random = prng(20261207);
  for (let run = 0; run < 2000; run++) {
    const entries: ComponentStateEntry[] = [];
    for (let i = randomInt(random, 9); i > 0; i--) {
      entries.push(e(pick(random, SERVER_COMPONENTS), pick(random, COMPONENT_REQUESTERS), pick(random, COMPONENT_STATES)));
    }
    const states = effectiveStates(entries);
    const offline = entries.some((x) => x.component === 'ServerWideOffline' && x.state !== 'Active');
    for (const c of SERVER_COMPONENTS) {
      const words = entries.filter((x) => x.component === c).map((x) => rank[x.state]);
      const own = Math.max(0, ...words);
      if (c !== 'ServerWideOffline' && offline) assert.equal(states[c], 'Inactive');
      else assert.equal(rank[states[c]], own, JSON.stringify({ c, entries }));
    }
  }
});

test('changes Mailroom cannot carry out are refused with the reason', () => {
  assert.equal(componentChangeProblem('imapproxy', 'Inactive'), undefined);
  assert.equal(componentChangeProblem('HubTransport', 'Draining'), undefined);
  assert.match(componentChangeProblem('PopProxy', 'Draining')!, /Draining applies to HubTransport and FrontendTransport only/);
  assert.match(componentChangeProblem('OwaProxy', 'Inactive')!, /does not support OwaProxy/);
  assert.match(componentChangeProblem('Bogus', 'Active')!, /no component 'Bogus'/);
});
