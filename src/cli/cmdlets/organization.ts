// Accepted domains, servers and the organization's own settings.
import { ORGANIZATION_CONFIG } from '../../config/organization.ts';
import { displaySettings, settingParameters, type Cmdlet } from '../cmdlet.ts';

export const organizationCmdlets: Cmdlet[] = [
  {
    name: 'New-AcceptedDomain',
    synopsis: 'Adds a domain the organization receives mail for and whose addresses mailboxes may use.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'Display name of the domain entry.' },
      { name: 'DomainName', kind: 'string', required: true, help: 'The domain, e.g. contoso.com.' },
      { name: 'DomainType', kind: 'enum', values: ['Authoritative'], help: 'Only Authoritative: mailboxes in this organization.' },
    ],
    examples: ['New-AcceptedDomain -Name "Fabrikam" -DomainName fabrikam.com -DomainType Authoritative'],
    async run(args, ctx) {
      const domain = String(args.DomainName).toLowerCase();
      if (!/^(?=.{1,253}$)([\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)(\.[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)+$/u.test(domain)) {
        throw new Error(`-DomainName must be a domain name such as contoso.com (got '${args.DomainName}').`);
      }
      await ctx.directory.addAcceptedDomain(domain, (args.DomainType as string | undefined) ?? 'Authoritative');
      return [{ Name: args.Name, DomainName: domain, DomainType: args.DomainType ?? 'Authoritative', Default: false }];
    },
  },
  {
    name: 'Get-AcceptedDomain',
    synopsis: 'Lists accepted domains.',
    parameters: [],
    async run(_args, ctx) {
      return (await ctx.directory.acceptedDomains()).map((d) => ({ Name: d.name, DomainName: d.name, DomainType: d.domainType, Default: d.isDefault }));
    },
  },
  {
    name: 'Get-OrganizationConfig',
    synopsis: 'Shows the organization.',
    parameters: [],
    async run(_args, ctx) {
      const org = await ctx.directory.requireOrganization();
      return [{
        Name: org.name, ShortDomainName: org.shortDomain, DefaultDomain: await ctx.directory.defaultDomain(), WhenCreated: org.createdAt, Guid: org.id,
        ...displaySettings(ORGANIZATION_CONFIG, await ctx.directory.settings('OrganizationConfig')),
      }];
    },
  },
  {
    name: 'Set-OrganizationConfig',
    synopsis: 'Changes Mailroom\'s organization-wide settings: the cost of new password hashes and SCRAM keys.',
    parameters: settingParameters(ORGANIZATION_CONFIG),
    examples: ['Set-OrganizationConfig -PasswordHashCostFactor 18 -ScramIterationCount 1000000'],
    async run(args, ctx) {
      if (Object.keys(args).length === 0) throw new Error('Set-OrganizationConfig needs at least one setting to change.');
      await ctx.directory.requireOrganization();
      await ctx.directory.updateSettings('OrganizationConfig', args);
    },
  },
];
