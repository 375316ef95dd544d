// Mailboxes, their POP3/IMAP4 settings, permissions and role groups.
import { credentialsFor, generatePassword, organizationPasswordCost, passwordProblem } from '../../auth/credentials.ts';
import { foreignCredentials, SUPPORTED_FOREIGN_SCHEMES } from '../../auth/foreign-hashes.ts';
import { CAS_MAILBOX_SETTINGS, DATABASE_SETTINGS, MAILBOX_SETTINGS } from '../../config/mailbox.ts';
import { MailboxDatabases } from '../../backend/mailbox-databases.ts';
import type { Mailbox } from '../../directory/directory.ts';
import { displaySettings, settingParameters, type Cmdlet, type OutputObject } from '../cmdlet.ts';
import { NO_THROTTLING, type ThrottlingDirectory } from '../../config/throttling-policy.ts';
import { associateThrottlingPolicy, throttlingDirectory } from '../../directory/throttling-policies.ts';
import type { BoundValue, MultiValueChange, ParameterSpec } from '../types.ts';

const IDENTITY: ParameterSpec = {
  name: 'Identity', kind: 'string', positional: 0,
  help: 'Name, alias, user principal name, email address or DOMAIN\\alias of the mailbox.',
};

/** Mailroom's own parameter: a hash brought from another server (docs/migration.md, Passwords). */
const PASSWORD_HASH: ParameterSpec = {
  name: 'PasswordHash', kind: 'secret',
  help: `Mailroom only. A password hash from another server, as Dovecot's passwd-file holds it, e.g. '{SHA512-CRYPT}$6$...'; replaced by Mailroom's own hash at the first logon. Schemes: ${SUPPORTED_FOREIGN_SCHEMES.join(', ')}.`,
};

const RECIPIENT_TYPE = { user: 'UserMailbox', shared: 'SharedMailbox', system: 'SystemMailbox' } as const;

/** Get-Mailbox's ThrottlingPolicy: the mailbox's own Regular policy, empty when the default applies. */
function showMailbox(m: Mailbox, throttling: ThrottlingDirectory): OutputObject {
  return {
    Name: m.name,
    Alias: m.alias,
    DisplayName: m.settings.DisplayName,
    UserPrincipalName: m.userPrincipalName,
    PrimarySmtpAddress: m.primarySmtpAddress,
    // Exchange marks the primary address SMTP: and the others smtp:.
    EmailAddresses: m.emailAddresses.map((a, i) => `${i === 0 ? 'SMTP' : 'smtp'}:${a}`),
    RecipientTypeDetails: RECIPIENT_TYPE[m.type],
    Database: m.database,
    Languages: m.settings.Languages,
    ...displaySettings(MAILBOX_SETTINGS.filter((d) => !['DisplayName', 'Languages'].includes(d.name)), m.settings),
    AccountDisabled: m.accountDisabled,
    ThrottlingPolicy: throttling.associations.get(m.id) ?? null,
    Identity: m.name,
    Guid: m.id,
  };
}

function showCas(m: Mailbox): OutputObject {
  return { Name: m.name, PrimarySmtpAddress: m.primarySmtpAddress, ...displaySettings(CAS_MAILBOX_SETTINGS, m.settings), Identity: m.name };
}

function addressChange(value: BoundValue | undefined): { add: string[]; remove: string[]; replace?: string[] } | undefined {
  if (value === undefined || value === null) return undefined;
  const strip = (s: unknown) => String(s).replace(/^smtp:/i, '');
  if (Array.isArray(value)) return { add: [], remove: [], replace: value.map(strip) };
  const change = value as MultiValueChange;
  return { add: change.add.map(strip), remove: change.remove.map(strip) };
}


// Exchange's rights can cover parts of a mailbox's folder tree; Mailroom's FullAccess and SendAs
// cover the whole mailbox, which is Exchange's InheritanceType All (its default).
const INHERITANCE_TYPE: ParameterSpec = {
  name: 'InheritanceType', kind: 'enum', values: ['None', 'All', 'Descendents', 'SelfAndChildren', 'Children'],
  help: 'All only: a right covers the whole mailbox.',
};
function checkInheritance(value: BoundValue | undefined): void {
  if (value !== undefined && value !== null && value !== 'All') {
    throw new Error(`-InheritanceType ${String(value)} is not supported: FullAccess and SendAs cover the whole mailbox in Mailroom (InheritanceType All).`);
  }
}

export const mailboxCmdlets: Cmdlet[] = [
  {
    name: 'New-Mailbox',
    synopsis: 'Creates a user mailbox (or a shared one with -Shared) in a mailbox database.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'Unique name of the mailbox.' },
      { name: 'Alias', kind: 'string', help: 'Short name; the local part of the default address. Derived from Name when omitted.' },
      { name: 'UserPrincipalName', kind: 'string', help: 'Logon name user@domain; alias@<default domain> when omitted.' },
      { name: 'PrimarySmtpAddress', kind: 'string', help: 'Email address; the UserPrincipalName when omitted.' },
      { name: 'DisplayName', kind: 'string', help: 'Name shown in address lists; Name when omitted.' },
      { name: 'Password', kind: 'secret', help: 'Password; a generated one is printed when omitted.' },
      PASSWORD_HASH,
      { name: 'Shared', kind: 'switch', help: 'Create a shared mailbox (no logon of its own; opened through FullAccess).' },
      { name: 'Database', kind: 'string', help: 'Mailbox database; the first mounted one when omitted.' },
      { name: 'Languages', kind: 'string', multi: true, help: 'Preferred languages, e.g. zh-TW; the first names the default folders.' },
      { name: 'ResetPasswordOnNextLogon', kind: 'bool', help: '$false only: POP3, IMAP4 and SMTP cannot ask a user for a new password at logon.' },
    ],
    examples: [
      'New-Mailbox -Name "Chris Ashton" -Alias chris -UserPrincipalName chris@contoso.com -Password "Pa$$w0rd2026"',
      'New-Mailbox -Shared -Name "Sales Department" -Alias sales',
      'New-Mailbox -Name 王小明 -Alias xiaoming -Languages zh-TW -Password "Secret-2026"',
      "New-Mailbox -Name \"Dana Lee\" -Alias dana -PasswordHash '{BLF-CRYPT}$2y$05$...'",
    ],
    async run(args, ctx) {
      const shared = args.Shared === true;
      // Exchange makes Windows ask for a new password at the first logon. A POP3, IMAP4 or SMTP
      // client has no way to be asked, so the flag could only lock the user out or be ignored.
      if (args.ResetPasswordOnNextLogon === true) {
        throw new Error('-ResetPasswordOnNextLogon $true is not supported: POP3, IMAP4 and SMTP clients cannot be asked for a new password at logon. Give the user the password to keep, or set a new one later with Set-Mailbox -Password.');
      }
      let password = args.Password as string | undefined;
      const passwordHash = args.PasswordHash as string | undefined;
      if (passwordHash !== undefined && password !== undefined) throw new Error('-Password and -PasswordHash cannot be used together.');
      if (passwordHash !== undefined && shared) throw new Error('-PasswordHash: a shared mailbox has no logon of its own; grant FullAccess instead.');
      let generated = false;
      if (!shared && password === undefined && passwordHash === undefined) {
        password = generatePassword();
        generated = true;
      }
      if (shared && password !== undefined) throw new Error('-Password: a shared mailbox has no logon of its own; grant FullAccess instead.');
      if (password !== undefined && !generated) {
        const problem = passwordProblem(password);
        if (problem) throw new Error(`-Password ${problem}`);
      }
      const settings: Record<string, unknown> = {};
      if (args.DisplayName) settings.DisplayName = args.DisplayName;
      if (args.Languages) settings.Languages = args.Languages;
      const credentials = passwordHash !== undefined
        ? foreignCredentials(passwordHash)
        : password === undefined ? undefined : await credentialsFor(password, await organizationPasswordCost(ctx.directory));
      const mailbox = await ctx.directory.createMailbox({
        name: args.Name as string,
        alias: args.Alias as string | undefined,
        userPrincipalName: args.UserPrincipalName as string | undefined,
        primarySmtpAddress: args.PrimarySmtpAddress as string | undefined,
        type: shared ? 'shared' : 'user',
        database: args.Database as string | undefined,
        credentials,
        settings,
      });
      const out = showMailbox(mailbox, NO_THROTTLING);
      if (generated) ctx.warn(`Generated password for ${mailbox.userPrincipalName}: ${password}`);
      return [out];
    },
  },
  {
    name: 'Get-Mailbox',
    synopsis: 'Shows mailboxes.',
    parameters: [IDENTITY, { name: 'ResultSize', kind: 'int', allowUnlimited: true, help: 'Most mailboxes to show.' }],
    examples: ['Get-Mailbox', 'Get-Mailbox chris@contoso.com'],
    async run(args, ctx) {
      const throttling = await throttlingDirectory(ctx.directory);
      if (args.Identity) return [showMailbox(await ctx.directory.requireMailbox(args.Identity as string), throttling)];
      const all = await ctx.directory.mailboxes();
      const limit = typeof args.ResultSize === 'number' ? args.ResultSize : all.length;
      return all.slice(0, limit).map((m) => showMailbox(m, throttling));
    },
  },
  {
    name: 'Set-Mailbox',
    synopsis: 'Changes a mailbox: addresses, quotas, languages, password.',
    parameters: [
      { ...IDENTITY, required: true },
      ...settingParameters(MAILBOX_SETTINGS),
      { name: 'EmailAddresses', kind: 'string', multi: true, help: 'All addresses, or @{Add="a@contoso.com"; Remove="b@contoso.com"}.' },
      { name: 'PrimarySmtpAddress', kind: 'string', help: 'New primary address (added to EmailAddresses).' },
      { name: 'Password', kind: 'secret', help: 'New password.' },
      PASSWORD_HASH,
      { name: 'ThrottlingPolicy', kind: 'string', help: 'A Regular throttling policy for this mailbox, or $null; the same as Set-ThrottlingPolicyAssociation.' },
    ],
    examples: [
      'Set-Mailbox chris -EmailAddresses @{Add="c.ashton@contoso.com"}',
      'Set-Mailbox chris -UseDatabaseQuotaDefaults $false -ProhibitSendQuota 5GB -ProhibitSendReceiveQuota 6GB -IssueWarningQuota 4.5GB',
      'Set-Mailbox xiaoming -Languages zh-TW',
      "Set-Mailbox chris -PasswordHash '{SHA512-CRYPT}$6$Vb2mGJ2S4bnPWsk6$...'",
    ],
    async run(args, ctx) {
      const { Identity, EmailAddresses, PrimarySmtpAddress, Password, PasswordHash, ThrottlingPolicy, ...settings } = args;
      if (Password !== undefined && PasswordHash !== undefined) throw new Error('-Password and -PasswordHash cannot be used together.');
      const mailbox = await ctx.directory.requireMailbox(Identity as string);
      const change = addressChange(EmailAddresses);
      let add = change?.add ?? [];
      let remove = change?.remove ?? [];
      if (change?.replace) {
        const wanted = new Set(change.replace.map((a) => a.toLowerCase()));
        add = change.replace;
        remove = mailbox.emailAddresses.filter((a) => !wanted.has(a.toLowerCase()) && a !== (PrimarySmtpAddress ?? mailbox.primarySmtpAddress));
      }
      if (Password !== undefined) {
        const problem = passwordProblem(Password as string);
        if (problem) throw new Error(`-Password ${problem}`);
      }
      if (PasswordHash !== undefined && mailbox.type !== 'user') throw new Error(`-PasswordHash: ${mailbox.name} is a ${mailbox.type} mailbox with no logon of its own.`);
      // Checked before anything is written: a hash Mailroom cannot verify is refused, never stored.
      const imported = PasswordHash === undefined ? undefined : foreignCredentials(PasswordHash as string);
      const quotaNames = ['IssueWarningQuota', 'ProhibitSendQuota', 'ProhibitSendReceiveQuota'];
      if (quotaNames.some((q) => q in settings) && settings.UseDatabaseQuotaDefaults === undefined && mailbox.settings.UseDatabaseQuotaDefaults === true) {
        ctx.warn('The mailbox still uses the database quotas; add -UseDatabaseQuotaDefaults $false for these quotas to apply.');
      }
      // Refused here, before anything else is written, when the policy does not exist or is not Regular.
      if (ThrottlingPolicy !== undefined) await associateThrottlingPolicy(ctx.directory, mailbox.id, (ThrottlingPolicy as string | null) ?? null);
      await ctx.directory.updateMailbox(mailbox.id, {
        settings,
        addAddresses: add,
        removeAddresses: remove,
        primarySmtpAddress: PrimarySmtpAddress as string | undefined,
        credentials: imported ?? (Password === undefined ? undefined : await credentialsFor(Password as string, await organizationPasswordCost(ctx.directory))),
      });
    },
  },
  {
    name: 'Remove-Mailbox',
    synopsis: 'Removes a mailbox and its logon.',
    parameters: [
      { ...IDENTITY, required: true },
      { name: 'Permanent', kind: 'bool', help: '$true also deletes the mailbox\'s mail from its database now. Without it the mail stays in the database, as Exchange keeps a disconnected mailbox (Mailroom has no Connect-Mailbox yet).' },
    ],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      const store = args.Permanent === true ? await new MailboxDatabases(ctx.directory).storeFor(mailbox) : undefined;
      const removed = await ctx.directory.removeMailbox(args.Identity as string);
      await store?.removeMailbox(mailbox.id);
      await associateThrottlingPolicy(ctx.directory, removed.id, null);
    },
  },
  {
    name: 'Get-CASMailbox',
    synopsis: 'Shows the POP3 and IMAP4 settings of mailboxes.',
    parameters: [IDENTITY],
    examples: ['Get-CASMailbox chris', 'Get-CASMailbox'],
    async run(args, ctx) {
      if (args.Identity) return [showCas(await ctx.directory.requireMailbox(args.Identity as string))];
      return (await ctx.directory.mailboxes()).map(showCas);
    },
  },
  {
    name: 'Set-CASMailbox',
    synopsis: 'Enables or disables POP3/IMAP4 for a mailbox and sets its own retrieval options.',
    parameters: [{ ...IDENTITY, required: true }, ...settingParameters(CAS_MAILBOX_SETTINGS)],
    examples: ['Set-CASMailbox chris -PopEnabled $false', 'Set-CASMailbox chris -ImapUseProtocolDefaults $false -ImapForceICalForCalendarRetrievalOption $true'],
    async run(args, ctx) {
      const { Identity, ...settings } = args;
      if (Object.keys(settings).length === 0) throw new Error('Set-CASMailbox needs at least one setting to change.');
      await ctx.directory.updateMailbox(Identity as string, { settings });
    },
  },
  {
    name: 'Add-MailboxPermission',
    synopsis: 'Gives a user FullAccess to a mailbox (opened by POP3/IMAP4 as user\\alias) or SendAs.',
    parameters: [
      { ...IDENTITY, required: true },
      { name: 'User', kind: 'string', required: true, help: 'The mailbox user who gets the right.' },
      { name: 'AccessRights', kind: 'enum', multi: true, values: ['FullAccess', 'SendAs'], required: true, help: 'FullAccess or SendAs.' },
      INHERITANCE_TYPE,
      { name: 'AutoMapping', kind: 'bool', help: '$false only: Outlook\'s automapping of mailboxes a user has FullAccess to needs Autodiscover for MAPI, which Mailroom does not serve; IMAP4 and POP3 clients open the mailbox as user\\alias.' },
    ],
    examples: ['Add-MailboxPermission -Identity sales -User chris -AccessRights FullAccess -InheritanceType All'],
    async run(args, ctx) {
      checkInheritance(args.InheritanceType);
      if (args.AutoMapping === true) {
        throw new Error('-AutoMapping $true is not supported: Outlook\'s automapping needs Autodiscover for MAPI, which Mailroom does not serve. Leave it out or give $false; IMAP4 and POP3 clients open the mailbox by logging on as user\\alias.');
      }
      for (const right of args.AccessRights as ('FullAccess' | 'SendAs')[]) {
        await ctx.directory.addMailboxPermission(args.Identity as string, args.User as string, right);
      }
      return (await ctx.directory.mailboxPermissions(args.Identity as string)).map((p) => ({ Identity: args.Identity, User: p.user, AccessRights: p.right }));
    },
  },
  {
    name: 'Remove-MailboxPermission',
    synopsis: 'Takes a FullAccess or SendAs right away.',
    parameters: [
      { ...IDENTITY, required: true },
      { name: 'User', kind: 'string', required: true, help: 'The mailbox user who loses the right.' },
      { name: 'AccessRights', kind: 'enum', multi: true, values: ['FullAccess', 'SendAs'], required: true, help: 'FullAccess or SendAs.' },
      INHERITANCE_TYPE,
    ],
    async run(args, ctx) {
      checkInheritance(args.InheritanceType);
      for (const right of args.AccessRights as ('FullAccess' | 'SendAs')[]) {
        await ctx.directory.removeMailboxPermission(args.Identity as string, args.User as string, right);
      }
    },
  },
  {
    name: 'Get-MailboxPermission',
    synopsis: 'Lists who has FullAccess or SendAs on a mailbox.',
    parameters: [{ ...IDENTITY, required: true }],
    async run(args, ctx) {
      return (await ctx.directory.mailboxPermissions(args.Identity as string)).map((p) => ({ Identity: args.Identity, User: p.user, AccessRights: p.right }));
    },
  },
  {
    name: 'Get-RoleGroup',
    synopsis: 'Lists role groups and their members.',
    parameters: [IDENTITY],
    async run(args, ctx) {
      return (await ctx.directory.roleGroups())
        .filter((g) => !args.Identity || g.name.toLowerCase() === String(args.Identity).toLowerCase())
        .map((g) => ({ Name: g.name, Description: g.description, Members: g.members }));
    },
  },
  {
    name: 'Add-RoleGroupMember',
    synopsis: 'Adds a mailbox user to a role group such as "Organization Management".',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'Role group name.' },
      { name: 'Member', kind: 'string', required: true, help: 'The mailbox user to add.' },
    ],
    examples: ['Add-RoleGroupMember "Organization Management" -Member chris'],
    async run(args, ctx) {
      await ctx.directory.addRoleGroupMember(args.Identity as string, args.Member as string);
    },
  },
  {
    name: 'Set-MailboxDatabase',
    synopsis: 'Changes a mailbox database\'s default quotas and how long deleted messages stay recoverable.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox database.' }, ...settingParameters(DATABASE_SETTINGS)],
    examples: ['Set-MailboxDatabase "Mailbox Database MAIL01" -DeletedItemRetention 30.00:00:00', 'Set-MailboxDatabase "Mailbox Database MAIL01" -ProhibitSendReceiveQuota 10GB'],
    async run(args, ctx) {
      const { Identity, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error('Set-MailboxDatabase needs at least one setting to change.');
      await ctx.directory.updateMailboxDatabase(Identity as string, changes);
    },
  },
];
