// The directory on both engines: organization setup, mailboxes and their addresses,
// permissions, role groups, services, settings validation and the revision counter.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, DirectoryError } from '../../src/directory/directory.ts';
import { SettingsValidationError } from '../../src/config/model.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import { fastCredentials } from '../support/passwords.ts';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { ENGINES } from '../engines.ts';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { acmeAlpnChallenges, acmeChallengeAnswer, acmeRecords } from '../../src/certificates/acme.ts';

for (const engine of ENGINES) {
  describe(`directory on ${engine.name}`, () => {
    let directory: Directory;
    let cleanup: () => Promise<void>;

    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      directory = await Directory.openWith(opened.db);
      await setupOrganization(directory, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: 'Admin-Pass-2026' });
    });
    after(async () => cleanup());

    test('setup creates the organization, server, database, admin and reserved accounts', async () => {
      const org = await directory.requireOrganization();
      assert.equal(org.shortDomain, 'CONTOSO');
      assert.equal((await directory.server()).fqdn, 'mail01.contoso.com');
      assert.equal((await directory.mailboxDatabase()).name, 'Mailbox Database MAIL01');
      const admin = await directory.requireMailbox('Administrator');
      assert.equal(admin.builtin, 'Administrator');
      assert.equal((await directory.requireMailbox('guest')).builtin, 'Guest');
      assert.equal((await directory.requireMailbox('CONTOSO\\anonymous')).builtin, 'Anonymous');
      const groups = await directory.roleGroups();
      assert.deepEqual(groups.find((g) => g.name === 'Organization Management')?.members, ['Administrator']);
      assert.equal((await directory.certificates()).length, 1);
      await assert.rejects(
        setupOrganization(directory, { organization: 'Again', domain: 'contoso.com', server: 'MAIL02', adminPassword: 'Admin-Pass-2026' }),
        /already exists/,
      );
    });

    test('IIS, POP and IMAP have one certificate each; SMTP several; removal; the ACME tables', async () => {
      const [setup] = await directory.certificates('MAIL01');
      const make = async (name: string, services: string[]) => {
        const material = await createSelfSignedCertificate([name]);
        await directory.addCertificate({ ...material, server: 'MAIL01', services });
        return material.thumbprint;
      };
      const services = async () => Object.fromEntries((await directory.certificates('MAIL01')).map((c) => [c.thumbprint, c.services.join(',')]));
      const a = await make('a.contoso.com', ['IMAP', 'SMTP']);
      assert.deepEqual(await services(), { [setup!.thumbprint]: 'POP,IIS,SMTP', [a]: 'IMAP,SMTP' });
      await directory.enableCertificate(a.toLowerCase(), ['POP', 'IIS']);
      assert.deepEqual(await services(), { [setup!.thumbprint]: 'SMTP', [a]: 'IMAP,POP,IIS,SMTP' });
      await directory.removeCertificate(a);
      assert.deepEqual(await services(), { [setup!.thumbprint]: 'SMTP' });
      await assert.rejects(directory.removeCertificate(a), /no certificate with thumbprint/);
      await directory.enableCertificate(setup!.thumbprint, ['IMAP', 'POP', 'IIS']);
      // The ACME tables (and the column added after them) are made on first use on either engine.
      assert.deepEqual(await acmeRecords(directory), []);
      assert.equal(await acmeChallengeAnswer(directory, 'no-such-token'), undefined);
      assert.equal(await acmeChallengeAnswer(directory, '../x'), undefined);
      assert.equal((await acmeAlpnChallenges(directory)).size, 0);
    });

    test('mailboxes are found by name, alias, UPN, any address and DOMAIN\\alias', async () => {
      const creds = await fastCredentials('Pa55-word-2026');
      const m = await directory.createMailbox({ name: 'Chris Ashton', alias: 'chris', credentials: creds });
      assert.equal(m.userPrincipalName, 'chris@contoso.com');
      await directory.updateMailbox('chris', { addAddresses: ['c.ashton@contoso.com'] });
      for (const id of ['Chris Ashton', 'CHRIS', 'chris@contoso.com', 'C.Ashton@Contoso.com', 'contoso\\chris', m.id]) {
        assert.equal((await directory.findMailbox(id))?.id, m.id, id);
      }
      assert.equal(await directory.findMailbox('fabrikam\\chris'), undefined);
      const stored = await directory.credentials(m.id);
      assert.ok(await verifyPassword('Pa55-word-2026', stored!.passwordHash!));
      assert.match(stored!.scram!, /^SCRAM-SHA-256\$4096:/);
    });

    test('Chinese names and addresses round-trip', async () => {
      const m = await directory.createMailbox({ name: '王小明', alias: 'xiaoming', settings: { Languages: ['zh-TW'] } });
      assert.equal((await directory.findMailbox('王小明'))?.id, m.id);
      assert.deepEqual(m.settings.Languages, ['zh-TW']);
      assert.equal(m.settings.DisplayName, '王小明');
    });

    test('uniqueness and accepted domains are enforced with messages naming the parameter', async () => {
      await assert.rejects(directory.createMailbox({ name: 'Other', alias: 'chris' }), /-Alias: 'chris' is already used/);
      await assert.rejects(directory.createMailbox({ name: 'chris ashton', alias: 'c2' }), /-Name: 'chris ashton' is already used/);
      await assert.rejects(directory.createMailbox({ name: 'X', alias: 'x', primarySmtpAddress: 'x@fabrikam.com' }), /not an accepted domain/);
      await directory.addAcceptedDomain('fabrikam.com');
      const x = await directory.createMailbox({ name: 'X', alias: 'x', primarySmtpAddress: 'x@fabrikam.com' });
      assert.equal(x.primarySmtpAddress, 'x@fabrikam.com');
      await assert.rejects(directory.updateMailbox('x', { addAddresses: ['chris@contoso.com'] }), /already used by another mailbox/);
      await assert.rejects(directory.updateMailbox('x', { removeAddresses: ['x@fabrikam.com'] }), /cannot remove the primary address/);
    });

    test('FullAccess and SendAs permissions and role groups', async () => {
      const sales = await directory.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
      assert.equal(sales.accountDisabled, true);
      const chris = await directory.requireMailbox('chris');
      assert.equal(await directory.hasMailboxPermission(sales.id, chris.id, 'FullAccess'), false);
      await directory.addMailboxPermission('sales', 'chris', 'FullAccess');
      await directory.addMailboxPermission('sales', 'chris', 'FullAccess');
      await directory.addMailboxPermission('sales', 'chris', 'SendAs');
      assert.equal(await directory.hasMailboxPermission(sales.id, chris.id, 'FullAccess'), true);
      assert.deepEqual(await directory.mailboxPermissions('sales'), [{ user: 'Chris Ashton', right: 'FullAccess' }, { user: 'Chris Ashton', right: 'SendAs' }]);
      await directory.removeMailboxPermission('sales', 'chris', 'SendAs');
      assert.equal(await directory.hasMailboxPermission(sales.id, chris.id, 'SendAs'), false);
      await directory.addRoleGroupMember('organization management', 'chris');
      assert.equal(await directory.isRoleGroupMember('Organization Management', chris.id), true);
      await assert.rejects(directory.addRoleGroupMember('Nobody', 'chris'), /no role group/);
    });

    test('every write moves the revision; reads do not', async () => {
      const r0 = await directory.revision();
      await directory.settings('ImapSettings');
      assert.equal(await directory.revision(), r0);
      await directory.updateSettings('ImapSettings', { Banner: 'Hello' });
      assert.equal(await directory.revision(), r0 + 1);
      await directory.setServiceStartupType('MAIL01', 'imap4', 'Automatic');
      assert.equal(await directory.revision(), r0 + 2);
    });

    test('settings validation names the parameter and stores nothing on error', async () => {
      const before = await directory.settings('PopSettings');
      await assert.rejects(directory.updateSettings('PopSettings', { LoginType: 'Foo' }), (e: unknown) =>
        e instanceof SettingsValidationError && e.parameter === 'LoginType' && /PlainTextLogin, PlainTextAuthentication, SecureLogin/.test(e.message));
      await assert.rejects(directory.updateSettings('PopSettings', { MaxCommandSize: 2000 }), /-MaxCommandSize must be from 40 to 1024/);
      await assert.rejects(directory.updateSettings('PopSettings', { ExternalConnectionSettings: ['mail.contoso.com:993:SSL'] }), /must match a binding/);
      await assert.rejects(directory.updateSettings('PopSettings', { ExternalConnectionSettings: ['mail.contoso.com:995:XYZ'] }), /SSL, TLS or blank/);
      await assert.rejects(directory.updateSettings('PopSettings', { SSLBindings: ['0.0.0.0:99999'] }), /IPAddress:Port/);
      await assert.rejects(directory.updateSettings('PopSettings', { CalendarItemRetrievalOption: 'Custom' }), /needs -OwaServerUrl/);
      assert.deepEqual(await directory.settings('PopSettings'), before);
      const next = await directory.updateSettings('PopSettings', { ExternalConnectionSettings: ['Dublin01.Contoso.com:995:SSL', 'Dublin01.Contoso.com:110:TLS'] });
      assert.deepEqual(next.ExternalConnectionSettings, ['Dublin01.Contoso.com:995:SSL', 'Dublin01.Contoso.com:110:TLS']);
      const added = await directory.updateSettings('PopSettings', { ExternalConnectionSettings: { add: ['mail.contoso.com:995:SSL'], remove: ['Dublin01.Contoso.com:110:TLS'] } });
      assert.deepEqual(added.ExternalConnectionSettings, ['Dublin01.Contoso.com:995:SSL', 'mail.contoso.com:995:SSL']);
    });

    test('services: disabled cannot start; Set-Service clears an explicit stop', async () => {
      await assert.rejects(directory.setServiceState('MAIL01', 'pop3', 'started'), (e: unknown) => e instanceof DirectoryError && /disabled/.test(e.message));
      await directory.setServiceStartupType('MAIL01', 'pop3', 'Manual');
      await directory.setServiceState('MAIL01', 'pop3', 'started');
      let pop = (await directory.services('MAIL01')).find((s) => s.name === 'pop3')!;
      assert.deepEqual([pop.startupType, pop.explicit], ['Manual', 'started']);
      await directory.setServiceStartupType('MAIL01', 'pop3', 'Automatic');
      pop = (await directory.services('MAIL01')).find((s) => s.name === 'pop3')!;
      assert.deepEqual([pop.startupType, pop.explicit], ['Automatic', null]);
    });

    test('a service added by a later version gets its row when a directory set up before it opens', async () => {
      await directory.db.run(`DELETE FROM services WHERE name = 'smtp-backend'`);
      assert.equal((await directory.services('MAIL01')).find((s) => s.name === 'smtp-backend'), undefined);
      const reopened = await Directory.openWith(directory.db);
      const services = await reopened.services('MAIL01');
      assert.equal(services.find((s) => s.name === 'smtp-backend')?.startupType, 'Automatic');
      assert.equal(services.find((s) => s.name === 'pop3')?.startupType, 'Automatic', 'rows already there keep what the admin set');
    });

    test('receive connectors by SERVER\\Name or Name', async () => {
      const c = await directory.updateReceiveConnector('Client Frontend MAIL01', { AdvertiseClientSettings: true, Fqdn: 'Dublin01.Contoso.com' });
      assert.equal(c.identity, 'MAIL01\\Client Frontend MAIL01');
      const again = await directory.receiveConnector('mail01\\client frontend mail01');
      assert.equal(again.settings.AdvertiseClientSettings, true);
      assert.equal(again.settings.Fqdn, 'Dublin01.Contoso.com');
      await assert.rejects(directory.receiveConnector('Nope'), /no receive connector/);
      await assert.rejects(directory.updateReceiveConnector('Client Frontend MAIL01', { MaxRecipientsPerMessage: 0 }), /-MaxRecipientsPerMessage/);
    });

    test('the Administrator mailbox cannot be removed; others can', async () => {
      await assert.rejects(directory.removeMailbox('Administrator'), /cannot be removed/);
      await directory.removeMailbox('x');
      assert.equal(await directory.findMailbox('x@fabrikam.com'), undefined);
    });
  });
}
