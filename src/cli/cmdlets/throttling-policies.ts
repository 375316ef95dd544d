// New-/Set-/Get-/Remove-ThrottlingPolicy and Get-/Set-ThrottlingPolicyAssociation: per-user limits
// on POP3 and IMAP4 connections, their budgets of server time, and SMTP submissions per minute.
import { THROTTLING_PARAMETER_NAMES, THROTTLING_POLICY_SETTINGS, THROTTLING_SCOPES, type ThrottlingPolicy, type ThrottlingScope } from '../../config/throttling-policy.ts';
import {
  associateThrottlingPolicy, newThrottlingPolicy, removeThrottlingPolicy, setThrottlingPolicy, throttlingDirectory, throttlingPolicies, throttlingPolicy,
} from '../../directory/throttling-policies.ts';
import { pick, settingParameters, type Cmdlet, type OutputObject } from '../cmdlet.ts';
import type { ParameterSpec } from '../types.ts';

const POLICY_PARAMETERS: ParameterSpec[] = settingParameters(THROTTLING_POLICY_SETTINGS).map((p) => ({
  ...p, help: `${p.help} A number, Unlimited, or $null (inherit from the Organization, then the Global policy).`,
}));

const SCOPE: ParameterSpec = {
  name: 'ThrottlingPolicyScope', kind: 'enum', values: THROTTLING_SCOPES,
  help: 'Regular (associated with mailboxes), Organization (everyone without a Regular policy); there is one Global policy.',
};

function show(policy: ThrottlingPolicy): OutputObject {
  const out: OutputObject = { Name: policy.name, ThrottlingPolicyScope: policy.scope };
  // $null (inherited) shows as nothing, Unlimited as Unlimited, as Exchange's Format-List does.
  for (const name of THROTTLING_PARAMETER_NAMES) {
    const v = policy.settings[name];
    out[name] = v === 'unlimited' ? 'Unlimited' : v;
  }
  out.Identity = policy.name;
  return out;
}

export const throttlingPolicyCmdlets: Cmdlet[] = [
  {
    name: 'Get-ThrottlingPolicy',
    synopsis: 'Shows throttling policies: the Global one, the Organization one if any, and Regular ones.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'A policy name; all policies when omitted.' }],
    examples: ['Get-ThrottlingPolicy', 'Get-ThrottlingPolicy "POP heavy users"'],
    async run(args, ctx) {
      if (typeof args.Identity === 'string') return [show(await throttlingPolicy(ctx.directory, args.Identity))];
      return (await throttlingPolicies(ctx.directory)).map(show);
    },
  },
  {
    name: 'New-ThrottlingPolicy',
    synopsis: 'Creates a Regular policy (for mailboxes associated with it) or the Organization policy; unset values are inherited.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'Unique name of the policy.' },
      SCOPE,
      ...POLICY_PARAMETERS,
    ],
    examples: [
      'New-ThrottlingPolicy "Shared front desk" -ImapMaxConcurrency 4 -PopMaxConcurrency 2',
      'New-ThrottlingPolicy "Bulk senders" -MessageRateLimit 10',
      'New-ThrottlingPolicy Contoso -ThrottlingPolicyScope Organization -ImapMaxBurst 600000 -ImapRechargeRate 300000',
    ],
    async run(args, ctx) {
      const scope = (args.ThrottlingPolicyScope as ThrottlingScope | undefined) ?? 'Regular';
      return [show(await newThrottlingPolicy(ctx.directory, args.Name as string, scope, pick(args, THROTTLING_PARAMETER_NAMES)))];
    },
  },
  {
    name: 'Set-ThrottlingPolicy',
    synopsis: 'Changes a throttling policy; running servers apply it to open sessions within a second.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The policy name (GlobalThrottlingPolicy_… for the Global one).' },
      { name: 'Name', kind: 'string', help: 'A new name.' },
      SCOPE,
      ...POLICY_PARAMETERS,
    ],
    examples: ['Set-ThrottlingPolicy "Shared front desk" -ImapMaxConcurrency 6', 'Set-ThrottlingPolicy "Bulk senders" -MessageRateLimit $null'],
    async run(args, ctx) {
      await setThrottlingPolicy(ctx.directory, args.Identity as string, {
        ...(typeof args.Name === 'string' ? { name: args.Name } : {}),
        ...(args.ThrottlingPolicyScope ? { scope: args.ThrottlingPolicyScope as ThrottlingScope } : {}),
        settings: pick(args, THROTTLING_PARAMETER_NAMES),
      });
    },
  },
  {
    name: 'Remove-ThrottlingPolicy',
    synopsis: 'Removes a Regular or Organization policy that no mailbox is associated with.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The policy name.' }],
    async run(args, ctx) {
      await removeThrottlingPolicy(ctx.directory, args.Identity as string);
    },
  },
  {
    name: 'Set-ThrottlingPolicyAssociation',
    synopsis: 'Associates a mailbox with a Regular throttling policy ($null: the Organization or Global policy applies).',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox.' },
      { name: 'ThrottlingPolicy', kind: 'string', required: true, help: 'A Regular policy, or $null.' },
    ],
    examples: ['Set-ThrottlingPolicyAssociation chris -ThrottlingPolicy "Shared front desk"', 'Set-ThrottlingPolicyAssociation chris -ThrottlingPolicy $null'],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      await associateThrottlingPolicy(ctx.directory, mailbox.id, (args.ThrottlingPolicy as string | null) ?? null);
    },
  },
  {
    name: 'Get-ThrottlingPolicyAssociation',
    synopsis: 'Shows which throttling policy applies to mailboxes, and whether it is their own or the default.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'A mailbox; all mailboxes when omitted.' }],
    async run(args, ctx) {
      const throttling = await throttlingDirectory(ctx.directory);
      const mailboxes = typeof args.Identity === 'string' ? [await ctx.directory.requireMailbox(args.Identity)] : await ctx.directory.mailboxes();
      const fallback = throttling.policies.find((p) => p.scope === 'Organization') ?? throttling.policies.find((p) => p.scope === 'Global')!;
      return mailboxes.map((m) => ({
        Identity: m.name,
        ThrottlingPolicyId: throttling.associations.get(m.id) ?? null,
        EffectivePolicy: throttling.associations.get(m.id) ?? fallback.name,
      }));
    },
  },
];
