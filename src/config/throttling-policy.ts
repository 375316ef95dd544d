// User throttling policies (New-/Set-/Get-/Remove-ThrottlingPolicy, Set-ThrottlingPolicyAssociation),
// the part of Exchange 2013's workload management that concerns POP3, IMAP4 and SMTP submission.
//
// Three scopes, as in Exchange: one Global policy (its values are complete: a number or
// Unlimited), at most one Organization policy, and any number of Regular policies associated with
// mailboxes. A user's value for a parameter is the one of their Regular policy; where that is
// $null (or the user has none), the Organization policy's; where that is $null (or there is
// none), the Global policy's. Pure: the directory stores the policies
// (src/directory/throttling-policies.ts), the back ends and SMTP resolve them per user.
import type { SettingDef, SettingsDocument } from './model.ts';

export const THROTTLING_SCOPES = ['Regular', 'Organization', 'Global'] as const;
export type ThrottlingScope = (typeof THROTTLING_SCOPES)[number];

const MAX_INT32 = 2147483647;
const HOUR_MS = 3_600_000;

function budget(prefix: 'Pop' | 'Imap', protocol: string, defaults: { concurrency: number | 'unlimited'; burst: number; recharge: number }): SettingDef[] {
  return [
    { name: `${prefix}MaxConcurrency`, kind: 'int', min: 0, max: MAX_INT32, allowUnlimited: true, nullable: true, default: defaults.concurrency,
      help: `${protocol} connections one user may have open at once on a server; one more is refused at logon.` },
    { name: `${prefix}MaxBurst`, kind: 'int', min: 0, max: MAX_INT32, allowUnlimited: true, nullable: true, default: defaults.burst,
      help: `Milliseconds of server time a ${protocol} user may spend before being slowed down: the most the budget holds.` },
    { name: `${prefix}RechargeRate`, kind: 'int', min: 1, max: MAX_INT32, allowUnlimited: true, nullable: true, default: defaults.recharge,
      help: `Milliseconds of server time a ${protocol} user's budget gains per hour.` },
    { name: `${prefix}CutoffBalance`, kind: 'int', min: 0, max: MAX_INT32, allowUnlimited: true, nullable: true, default: 'unlimited',
      help: `How far below zero a ${protocol} budget may go before each command waits until it has recharged back to that point (Unlimited: short delays only).` },
  ];
}

/**
 * The parameters, with the Global policy's values of Exchange 2013 as defaults (PopMaxConcurrency
 * 20, ImapMaxConcurrency Unlimited, budgets of an hour's burst recharged at half an hour per
 * hour, no cutoff, no message rate limit).
 */
export const THROTTLING_POLICY_SETTINGS: readonly SettingDef[] = [
  ...budget('Pop', 'POP3', { concurrency: 20, burst: HOUR_MS, recharge: HOUR_MS / 2 }),
  ...budget('Imap', 'IMAP4', { concurrency: 'unlimited', burst: HOUR_MS, recharge: HOUR_MS / 2 }),
  { name: 'MessageRateLimit', kind: 'int', min: 0, max: MAX_INT32, allowUnlimited: true, nullable: true, default: 'unlimited',
    help: 'Messages a user may submit per minute over SMTP (POP3 and IMAP4 clients send this way); past it MAIL FROM gets a temporary error.' },
  { name: 'RecipientRateLimit', kind: 'int', min: 0, max: MAX_INT32, allowUnlimited: true, nullable: true, default: 'unlimited',
    help: 'Not supported: only Unlimited or $null (inherit) can be set.' },
];

export const THROTTLING_PARAMETER_NAMES = THROTTLING_POLICY_SETTINGS.map((d) => d.name);

/** Rules beyond each value's range; returns the refusal, or undefined. */
export function throttlingPolicyProblem(scope: ThrottlingScope, settings: SettingsDocument): string | undefined {
  const rate = settings.RecipientRateLimit;
  if (rate !== null && rate !== 'unlimited' && rate !== undefined) {
    return '-RecipientRateLimit: Mailroom does not support it (a count of recipients per 24 hours that survives restarts); only Unlimited or $null can be set. MessageRateLimit limits messages per minute.';
  }
  if (scope === 'Global') {
    const unset = THROTTLING_PARAMETER_NAMES.find((n) => settings[n] === null);
    if (unset) return `-${unset}: the Global policy has nothing to inherit from; give a number or Unlimited.`;
  }
  return undefined;
}

export interface ThrottlingPolicy {
  name: string;
  scope: ThrottlingScope;
  /** Every parameter: a number, 'unlimited', or null (inherit; never in the Global policy). */
  settings: SettingsDocument;
}

/** All the policies of the organization and who is associated with which. */
export interface ThrottlingDirectory {
  policies: ThrottlingPolicy[];
  /** Mailbox id → the name of its Regular policy. */
  associations: ReadonlyMap<string, string>;
}

export type Limit = number | 'unlimited';

/** One user's values, each taken from the nearest policy that sets it. */
export interface EffectiveThrottling {
  values: Record<string, Limit>;
  /** Parameter → the policy the value came from, for messages that tell the admin what to change. */
  from: Record<string, string>;
}

/** The Global policy's values when none has been changed: Exchange 2013's defaults. */
export function globalDefaults(): SettingsDocument {
  const doc: SettingsDocument = {};
  for (const d of THROTTLING_POLICY_SETTINGS) doc[d.name] = d.default as Limit;
  return doc;
}

const key = (s: string) => s.trim().toLowerCase();

/** A user's throttling: their Regular policy, then the Organization policy, then the Global one. */
export function effectiveThrottling(throttling: ThrottlingDirectory, mailboxId: string): EffectiveThrottling {
  const associated = throttling.associations.get(mailboxId);
  const regular = associated === undefined ? undefined : throttling.policies.find((p) => key(p.name) === key(associated));
  const chain = [
    regular,
    throttling.policies.find((p) => p.scope === 'Organization'),
    throttling.policies.find((p) => p.scope === 'Global'),
  ].filter((p): p is ThrottlingPolicy => p !== undefined);
  const fallback = globalDefaults();
  const values: Record<string, Limit> = {};
  const from: Record<string, string> = {};
  for (const name of THROTTLING_PARAMETER_NAMES) {
    const source = chain.find((p) => p.settings[name] !== null && p.settings[name] !== undefined);
    values[name] = (source ? source.settings[name] : fallback[name]) as Limit;
    from[name] = source?.name ?? 'GlobalThrottlingPolicy';
  }
  return { values, from };
}

/** Whether a count has reached a limit: Unlimited never does. */
export function atLimit(count: number, limit: Limit): boolean {
  return limit !== 'unlimited' && count >= limit;
}

export const NO_THROTTLING: ThrottlingDirectory = { policies: [], associations: new Map() };
