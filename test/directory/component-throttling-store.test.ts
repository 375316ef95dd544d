// Component states and throttling policies as the directory keeps them, on both SQL engines:
// each write moves the revision (so running servers apply it), entries per requester, the
// Global policy present before any write, renames carried to associations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveStates } from '../../src/config/server-components.ts';
import { effectiveThrottling } from '../../src/config/throttling-policy.ts';
import { componentStateEntries, setComponentState } from '../../src/directory/component-states.ts';
import { Directory } from '../../src/directory/directory.ts';
import {
  associateThrottlingPolicy, newThrottlingPolicy, removeThrottlingPolicy, setThrottlingPolicy, throttlingDirectory, throttlingPolicies,
} from '../../src/directory/throttling-policies.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { ENGINES } from '../engines.ts';
import { fastCredentials } from '../support/passwords.ts';

for (const engine of ENGINES) {
  describe(`component states and throttling policies on ${engine.name}`, () => {
    let directory: Directory;
    let cleanup: () => Promise<void>;

    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      directory = await Directory.openWith(opened.db);
      await setupOrganization(directory, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
    });
    after(async () => {
      await directory.close();
      await cleanup();
    });

    test('component states: one entry per requester, kept and replaced, each write moving the revision', async () => {
      assert.deepEqual(await componentStateEntries(directory, 'MAIL01'), []);
      const before = await directory.revision();
      await setComponentState(directory, 'mail01', { component: 'ImapProxy', requester: 'Maintenance', state: 'Inactive' });
      await setComponentState(directory, 'MAIL01', { component: 'ImapProxy', requester: 'Functional', state: 'Active' });
      await setComponentState(directory, 'MAIL01', { component: 'ImapProxy', requester: 'Maintenance', state: 'Active' });
      assert.equal(await directory.revision(), before + 3);
      const entries = await componentStateEntries(directory, 'MAIL01');
      assert.deepEqual(entries.map((e) => [e.component, e.requester, e.state]), [['ImapProxy', 'Functional', 'Active'], ['ImapProxy', 'Maintenance', 'Active']]);
      assert.equal(effectiveStates(entries).ImapProxy, 'Active');
    });

    test('throttling policies: the Global one from the start, Regular ones inherit, renames keep associations', async () => {
      const initial = await throttlingPolicies(directory);
      assert.equal(initial.length, 1);
      assert.equal(initial[0]!.scope, 'Global');
      const mailbox = await directory.createMailbox({ name: 'Chris Ashton', alias: 'chris', credentials: await fastCredentials('Chris-Pass-2026') });
      const before = await directory.revision();
      await newThrottlingPolicy(directory, 'Desk', 'Regular', { ImapMaxConcurrency: 3 });
      await associateThrottlingPolicy(directory, mailbox.id, 'desk');
      assert.equal(await directory.revision(), before + 2);
      let throttling = await throttlingDirectory(directory);
      assert.equal(throttling.associations.get(mailbox.id), 'Desk');
      assert.equal(effectiveThrottling(throttling, mailbox.id).values.ImapMaxConcurrency, 3);
      assert.equal(effectiveThrottling(throttling, mailbox.id).values.PopMaxConcurrency, 20);

      await setThrottlingPolicy(directory, 'Desk', { name: 'Front desk', settings: { PopMaxConcurrency: 'unlimited' } });
      await setThrottlingPolicy(directory, initial[0]!.name, { settings: { ImapMaxConcurrency: 100 } });
      throttling = await throttlingDirectory(directory);
      assert.equal(throttling.associations.get(mailbox.id), 'Front desk');
      assert.equal(effectiveThrottling(throttling, mailbox.id).values.PopMaxConcurrency, 'unlimited');
      assert.equal(effectiveThrottling(throttling, 'someone-else').values.ImapMaxConcurrency, 100);
      assert.equal(throttling.policies.filter((p) => p.scope === 'Global').length, 1, 'a changed Global policy is stored once');

      await assert.rejects(removeThrottlingPolicy(directory, 'Front desk'), /associated with 'Front desk'/);
      await associateThrottlingPolicy(directory, mailbox.id, null);
      await removeThrottlingPolicy(directory, 'front desk');
      assert.deepEqual((await throttlingPolicies(directory)).map((p) => p.scope), ['Global']);
    });
  });
}
