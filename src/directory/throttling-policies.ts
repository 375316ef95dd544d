// Where throttling policies and their associations with mailboxes are kept: the directory, so
// every server applies the same ones. The Global policy exists from the start with Exchange
// 2013's values (a row is written only once it is changed); it cannot be removed, and there is
// at most one Organization policy.
import { applySettings, type SettingsDocument } from '../config/model.ts';
import {
  globalDefaults, THROTTLING_PARAMETER_NAMES, THROTTLING_POLICY_SETTINGS, throttlingPolicyProblem,
  type ThrottlingDirectory, type ThrottlingPolicy, type ThrottlingScope,
} from '../config/throttling-policy.ts';
import type { SqlExecutor } from '../lib/sql/types.ts';
import { DirectoryError, type Directory } from './directory.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS throttling_policies (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS throttling_policy_associations (
  mailbox_id TEXT PRIMARY KEY,
  policy_key TEXT NOT NULL
);
`;

const key = (s: string) => s.trim().toLowerCase();

/** Exchange names the Global policy GlobalThrottlingPolicy_<GUID>; here the GUID is the organization's id. */
async function globalName(directory: Directory): Promise<string> {
  const org = await directory.requireOrganization();
  return `GlobalThrottlingPolicy_${org.id}`;
}

/** A Regular or Organization policy starts with every parameter $null: inherited. */
function inheritEverything(): SettingsDocument {
  return Object.fromEntries(THROTTLING_PARAMETER_NAMES.map((n) => [n, null]));
}

function complete(scope: ThrottlingScope, stored: Record<string, unknown>): SettingsDocument {
  const base = scope === 'Global' ? globalDefaults() : inheritEverything();
  for (const n of THROTTLING_PARAMETER_NAMES) if (n in stored) base[n] = stored[n] as SettingsDocument[string];
  return base;
}

async function rows(db: SqlExecutor): Promise<{ name_key: string; name: string; scope: string; value: string }[]> {
  return db.all(`SELECT name_key, name, scope, value FROM throttling_policies ORDER BY name`);
}

export async function throttlingPolicies(directory: Directory): Promise<ThrottlingPolicy[]> {
  const db = await directory.tables(SCHEMA);
  const stored = (await rows(db)).map((r) => ({ name: r.name, scope: r.scope as ThrottlingScope, settings: complete(r.scope as ThrottlingScope, JSON.parse(r.value)) }));
  if (stored.some((p) => p.scope === 'Global')) return stored;
  return [{ name: await globalName(directory), scope: 'Global', settings: globalDefaults() }, ...stored];
}

export async function throttlingPolicy(directory: Directory, identity: string): Promise<ThrottlingPolicy> {
  const all = await throttlingPolicies(directory);
  const found = all.find((p) => key(p.name) === key(identity));
  if (!found) throw new DirectoryError(`There is no throttling policy '${identity}'. Get-ThrottlingPolicy lists them.`);
  return found;
}

/** Everything the services need to resolve any user's throttling, read with each configuration snapshot. */
export async function throttlingDirectory(directory: Directory): Promise<ThrottlingDirectory> {
  const policies = await throttlingPolicies(directory);
  const db = await directory.tables(SCHEMA);
  const names = new Map(policies.map((p) => [key(p.name), p.name]));
  const associations = new Map<string, string>();
  for (const r of await db.all<{ mailbox_id: string; policy_key: string }>(`SELECT mailbox_id, policy_key FROM throttling_policy_associations`)) {
    const name = names.get(r.policy_key);
    if (name) associations.set(r.mailbox_id, name);
  }
  return { policies, associations };
}

function validated(scope: ThrottlingScope, current: SettingsDocument, changes: Record<string, unknown>): SettingsDocument {
  const next = applySettings(THROTTLING_POLICY_SETTINGS, current, changes);
  const problem = throttlingPolicyProblem(scope, next);
  if (problem) throw new DirectoryError(problem);
  return next;
}

export async function newThrottlingPolicy(directory: Directory, name: string, scope: ThrottlingScope, changes: Record<string, unknown>): Promise<ThrottlingPolicy> {
  if (name.trim() === '' || name.length > 64) throw new DirectoryError('-Name must be 1 to 64 characters.');
  const existing = await throttlingPolicies(directory);
  if (existing.some((p) => key(p.name) === key(name))) throw new DirectoryError(`A throttling policy named '${name}' already exists.`);
  if (scope === 'Global') {
    throw new DirectoryError(`There is one Global policy (${existing.find((p) => p.scope === 'Global')!.name}); change it with Set-ThrottlingPolicy.`);
  }
  const organization = existing.find((p) => p.scope === 'Organization');
  if (scope === 'Organization' && organization) {
    throw new DirectoryError(`There is already an Organization policy (${organization.name}); change it with Set-ThrottlingPolicy, or make it Regular first.`);
  }
  const settings = validated(scope, inheritEverything(), changes);
  await directory.configure(SCHEMA, async (tx) => {
    if (await tx.get(`SELECT name FROM throttling_policies WHERE name_key = ?`, [key(name)])) {
      throw new DirectoryError(`A throttling policy named '${name}' already exists.`);
    }
    await tx.run(`INSERT INTO throttling_policies (name_key, name, scope, value) VALUES (?, ?, ?, ?)`, [key(name), name, scope, JSON.stringify(settings)]);
  });
  return { name, scope, settings };
}

export async function setThrottlingPolicy(
  directory: Directory,
  identity: string,
  change: { name?: string; scope?: ThrottlingScope; settings: Record<string, unknown> },
): Promise<ThrottlingPolicy> {
  const policy = await throttlingPolicy(directory, identity);
  const all = await throttlingPolicies(directory);
  const scope = change.scope ?? policy.scope;
  if (scope !== policy.scope) {
    if (policy.scope === 'Global' || scope === 'Global') throw new DirectoryError('-ThrottlingPolicyScope: the Global policy stays Global, and no other policy can become Global.');
    const organization = all.find((p) => p.scope === 'Organization');
    if (scope === 'Organization' && organization) throw new DirectoryError(`-ThrottlingPolicyScope: there is already an Organization policy (${organization.name}).`);
  }
  const name = change.name ?? policy.name;
  if (key(name) !== key(policy.name) && all.some((p) => key(p.name) === key(name))) throw new DirectoryError(`A throttling policy named '${name}' already exists.`);
  const settings = validated(scope, policy.settings, change.settings);
  await directory.configure(SCHEMA, async (tx) => {
    await tx.run(`DELETE FROM throttling_policies WHERE name_key = ?`, [key(policy.name)]);
    await tx.run(`INSERT INTO throttling_policies (name_key, name, scope, value) VALUES (?, ?, ?, ?)`, [key(name), name, scope, JSON.stringify(settings)]);
    if (key(name) !== key(policy.name)) await tx.run(`UPDATE throttling_policy_associations SET policy_key = ? WHERE policy_key = ?`, [key(name), key(policy.name)]);
  });
  return { name, scope, settings };
}

export async function removeThrottlingPolicy(directory: Directory, identity: string): Promise<void> {
  const policy = await throttlingPolicy(directory, identity);
  if (policy.scope === 'Global') throw new DirectoryError('The Global throttling policy cannot be removed; change its values with Set-ThrottlingPolicy.');
  await directory.configure(SCHEMA, async (tx) => {
    const users = await tx.all<{ mailbox_id: string }>(`SELECT mailbox_id FROM throttling_policy_associations WHERE policy_key = ?`, [key(policy.name)]);
    if (users.length > 0) {
      throw new DirectoryError(`${users.length} mailbox(es) are associated with '${policy.name}'. Give them another policy first: Set-ThrottlingPolicyAssociation <mailbox> -ThrottlingPolicy $null.`);
    }
    await tx.run(`DELETE FROM throttling_policies WHERE name_key = ?`, [key(policy.name)]);
  });
}

/** Associates a mailbox with a Regular policy, or with none (null): then the Organization or Global one applies. */
export async function associateThrottlingPolicy(directory: Directory, mailboxId: string, policyName: string | null): Promise<void> {
  if (policyName !== null) {
    const policy = await throttlingPolicy(directory, policyName);
    if (policy.scope !== 'Regular') {
      throw new DirectoryError(`'${policy.name}' is the ${policy.scope} policy, which applies to everyone without a policy of their own; only Regular policies are associated with mailboxes.`);
    }
  }
  await directory.configure(SCHEMA, async (tx) => {
    await tx.run(`DELETE FROM throttling_policy_associations WHERE mailbox_id = ?`, [mailboxId]);
    if (policyName !== null) await tx.run(`INSERT INTO throttling_policy_associations (mailbox_id, policy_key) VALUES (?, ?)`, [mailboxId, key(policyName)]);
  });
}

/** The name of a mailbox's Regular policy, or null. */
export async function associatedThrottlingPolicy(directory: Directory, mailboxId: string): Promise<string | null> {
  return (await throttlingDirectory(directory)).associations.get(mailboxId) ?? null;
}
