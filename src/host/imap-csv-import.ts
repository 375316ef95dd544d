// `mailroom import --imap-csv FILE --remote-server HOST`: Exchange's IMAP migration batch in one
// command. Each line of the CSV (EmailAddress,UserName,Password[,Mailbox]) is an account at the
// other server; its Mailroom mailbox is created when missing (with the CSV's password, so the
// user keeps it, unless the line logs on as an administrator) and its mail pulled over IMAP
// through the import engine. Safe to run again and to interrupt: mailboxes that exist are
// reused and only what is not there yet is imported.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { credentialsFor, organizationPasswordCost } from '../auth/credentials.ts';
import { MailboxDatabases } from '../backend/mailbox-databases.ts';
import { Directory, type Mailbox } from '../directory/directory.ts';
import { MigrationCsvError, parseMigrationCsv, type MigrationAccount } from '../migration/formats/migration-csv.ts';
import { IMAP_SECURITY, ImapSource, type ImapSecurity, type ImapSourceOptions } from '../migration/imap-source.ts';
import { importMailbox, type ImportReport } from '../migration/importer.ts';
import { ProgressPrinter } from '../migration/progress-line.ts';

export const IMAP_CSV_USAGE = `mailroom import --imap-csv FILE --remote-server HOST [--port N] [--security Ssl|Tls|None]
                [--master-user NAME [--master-separator CHAR]] [--accept-untrusted-certificates]
                [--certificate-thumbprint SHA256] [--ca-file PEM] [--bad-item-limit N|unlimited] [--json]`;

interface Outcome {
  emailAddress: string;
  mailbox: string | null;
  created: boolean;
  status: string;
  itemsTransferred: number;
  alreadyImported: number;
  skipped: number;
  failure?: string;
}

/** The account's mailbox: found by the Mailbox column or the address, else created. */
async function mailboxFor(directory: Directory, account: MigrationAccount, keepPassword: boolean): Promise<{ mailbox: Mailbox; created: boolean }> {
  const existing = account.mailbox
    ? await directory.requireMailbox(account.mailbox)
    : await directory.mailboxByAddress(account.emailAddress);
  if (existing) return { mailbox: existing, created: false };
  const address = account.emailAddress.toLowerCase();
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!(await directory.isAcceptedDomain(domain))) {
    await directory.addAcceptedDomain(domain);
    console.log(`Accepted domain ${domain} added (Authoritative).`);
  }
  const aliasTaken = await directory.findMailbox(local);
  const credentials = keepPassword && account.password !== ''
    ? await credentialsFor(account.password, await organizationPasswordCost(directory))
    : undefined;
  const mailbox = await directory.createMailbox({
    name: address, alias: aliasTaken ? `${local}.${domain.split('.')[0]}` : local, userPrincipalName: address, primarySmtpAddress: address,
    ...(credentials ? { credentials } : {}),
  });
  return { mailbox, created: true };
}

export async function imapCsvImportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'imap-csv': { type: 'string' }, 'remote-server': { type: 'string' }, port: { type: 'string' }, security: { type: 'string' },
      'master-user': { type: 'string' }, 'master-separator': { type: 'string' }, 'accept-untrusted-certificates': { type: 'boolean' },
      'certificate-thumbprint': { type: 'string' }, 'ca-file': { type: 'string' }, 'bad-item-limit': { type: 'string' }, json: { type: 'boolean' },
    },
    strict: true,
  });
  const usage = (problem: string) => {
    console.error(`${problem}\n\n  ${IMAP_CSV_USAGE}`);
    return 2;
  };
  if (!values['imap-csv'] || !values['remote-server']) return usage('import --imap-csv needs the CSV file and --remote-server.');
  const security = IMAP_SECURITY.find((s) => s.toLowerCase() === (values.security ?? 'Ssl').toLowerCase()) as ImapSecurity | undefined;
  if (!security) return usage(`--security is Ssl, Tls or None (got '${values.security}').`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) return usage(`--port must be a port number (got '${values.port}').`);
  const limitText = values['bad-item-limit'] ?? '0';
  const badItemLimit = limitText.toLowerCase() === 'unlimited' ? 'unlimited' as const : Number(limitText);
  if (badItemLimit !== 'unlimited' && (!Number.isInteger(badItemLimit) || badItemLimit < 0)) return usage(`--bad-item-limit must be a whole number or unlimited (got '${limitText}').`);
  const separator = values['master-separator'];
  if (separator !== undefined && !values['master-user']) return usage('--master-separator goes with --master-user.');
  if (separator !== undefined && separator.length !== 1) return usage(`--master-separator is one character, such as * (got '${separator}').`);

  let csv;
  try {
    csv = parseMigrationCsv(await readFile(values['imap-csv'], 'utf8'));
  } catch (err) {
    if (err instanceof MigrationCsvError) return usage(`${values['imap-csv']}: ${err.message}.`);
    throw err;
  }
  for (const p of csv.problems) console.error(`${values['imap-csv']}:${p.line}: ${p.reason}; skipped`);
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  const printer = new ProgressPrinter(process.stdout);
  const outcomes: Outcome[] = [];
  try {
    // Which server this is (its mailbox databases), settled before any mailbox is created.
    await databases.locator();
    for (const [index, account] of csv.accounts.entries()) {
      const label = `${account.emailAddress} (${index + 1}/${csv.accounts.length})`;
      // An administrator's logon (--master-user, or Exchange's `user*admin` UserName form)
      // carries the administrator's password, which must not become the user's.
      const adminLogon = values['master-user'] !== undefined || account.userName.includes('*');
      const outcome: Outcome = { emailAddress: account.emailAddress, mailbox: null, created: false, status: 'Failed', itemsTransferred: 0, alreadyImported: 0, skipped: 0 };
      outcomes.push(outcome);
      let report: ImportReport;
      try {
        const { mailbox, created } = await mailboxFor(directory, account, !adminLogon);
        Object.assign(outcome, { mailbox: mailbox.alias, created });
        const options: ImapSourceOptions = {
          host: values['remote-server'], security, userName: account.userName, password: account.password,
          ...(port !== undefined ? { port } : {}),
          ...(values['master-user'] ? { masterUserName: values['master-user'], masterLogon: separator ? { separator } : 'authzid' as const } : {}),
          ...(values['accept-untrusted-certificates'] ? { acceptUntrustedCertificates: true } : {}),
          ...(values['certificate-thumbprint'] ? { certificateFingerprint: values['certificate-thumbprint'] } : {}),
          ...(values['ca-file'] ? { caFile: values['ca-file'] } : {}),
        };
        const source = new ImapSource(options);
        const store = await databases.storeFor(mailbox);
        printer.begin();
        try {
          report = await importMailbox(store, mailbox.id, source, { badItemLimit, onProgress: (p) => printer.update(label, p) });
        } finally {
          printer.done();
          await source.close();
        }
        for (const f of source.skippedFolders) console.log(`  ${f.name}: not imported: ${f.reason}`);
      } catch (err) {
        outcome.failure = err instanceof Error ? err.message : String(err);
        console.log(`${label}: Failed; ${outcome.failure}`);
        continue;
      }
      Object.assign(outcome, {
        status: report.status, itemsTransferred: report.itemsTransferred,
        alreadyImported: report.folders.reduce((n, f) => n + f.alreadyImported, 0),
        skipped: report.folders.reduce((n, f) => n + f.skipped.length, 0),
        ...(report.failure ? { failure: report.failure } : {}),
      });
      console.log(`${label}: ${report.status}; mailbox ${outcome.mailbox} ${outcome.created ? 'created' : 'existed'}; ${report.itemsTransferred} messages imported (${report.bytesTransferred} bytes), ${outcome.alreadyImported} already there, ${outcome.skipped} skipped${report.failure ? `; ${report.failure}` : ''}`);
      for (const f of report.folders) {
        for (const s of f.skipped) console.log(`  ${f.source}: skipped ${s.item}: ${s.reason}`);
        for (const n of f.notes) console.log(`  ${f.source}: ${n}`);
        if (!f.addsUp) console.log(`  ${f.source}: the counts do not add up (${f.sourceCount} at the source)`);
      }
    }
    if (values.json) console.log(JSON.stringify(outcomes, null, 2));
  } finally {
    await databases.closeAll();
    await directory.close();
  }
  return outcomes.some((o) => o.status === 'Failed') || csv.problems.length > 0 ? 1 : 0;
}
