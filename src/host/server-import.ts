// `mailroom import --dovecot MAILROOT --passwd-file FILE`: a whole Dovecot server moved in one
// command. Each passwd-file user becomes a mailbox (created if missing, its password carried as
// the hash Dovecot stored), and its mail is imported from the Maildir++ (or mbox) location
// Dovecot's mail_location gives. Safe to run again and to interrupt: mailboxes that exist are
// reused and the import engine adds only what is not there yet.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { foreignCredentials } from '../auth/foreign-hashes.ts';
import { MailboxDatabases } from '../backend/mailbox-databases.ts';
import { Directory, type Mailbox } from '../directory/directory.ts';
import { expandMailLocation, parsePasswdFile, type PasswdEntry } from '../migration/formats/passwd-file.ts';
import { importMailbox, type ImportReport } from '../migration/importer.ts';
import { isMaildir, MaildirSource } from '../migration/maildir-source.ts';
import { MboxSource } from '../migration/mbox-source.ts';
import { ProgressPrinter } from '../migration/progress-line.ts';
import type { MigrationSource } from '../migration/source.ts';

export const IMPORT_USAGE = `mailroom import --dovecot MAILROOT --passwd-file FILE [--domain DOMAIN] [--mail-location LOCATION]
                [--default-pass-scheme SCHEME] [--bad-item-limit N|unlimited] [--pop3-uidl-format FORMAT] [--json]`;

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** Where a user's mail is: the passwd-file's own mail field, --mail-location, or the usual layouts under MAILROOT. */
async function mailOf(entry: PasswdEntry, address: string, root: string, location: string | undefined): Promise<{ kind: 'Maildir' | 'Mbox'; path: string } | null> {
  const own = entry.extra.userdb_mail ?? entry.extra.mail;
  const spec = own ?? location;
  const user = { user: address, home: entry.home };
  if (spec) return expandMailLocation(spec, user);
  const [local, domain] = address.split('@') as [string, string];
  const candidates = [
    join(root, domain, local, 'Maildir'), join(root, domain, local), join(root, address, 'Maildir'), join(root, address),
    join(root, local, 'Maildir'), join(root, local), ...(entry.home ? [join(entry.home, 'Maildir')] : []),
  ];
  for (const path of candidates) if ((await exists(path)) && (await isMaildir(path) || await exists(join(path, 'dovecot-uidlist')))) return { kind: 'Maildir', path };
  for (const path of candidates) if (await exists(path)) return { kind: 'Maildir', path };
  return null;
}

export async function importCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      dovecot: { type: 'string' }, 'passwd-file': { type: 'string' }, domain: { type: 'string' }, 'mail-location': { type: 'string' },
      'bad-item-limit': { type: 'string' }, 'pop3-uidl-format': { type: 'string' }, 'default-pass-scheme': { type: 'string' }, json: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.dovecot || !values['passwd-file']) {
    console.error(`import needs --dovecot and --passwd-file.\n\n  ${IMPORT_USAGE}`);
    return 2;
  }
  const limitText = values['bad-item-limit'] ?? '0';
  const badItemLimit = limitText.toLowerCase() === 'unlimited' ? 'unlimited' as const : Number(limitText);
  if (badItemLimit !== 'unlimited' && (!Number.isInteger(badItemLimit) || badItemLimit < 0)) {
    console.error(`--bad-item-limit must be a whole number or unlimited (got '${limitText}').`);
    return 2;
  }
  const passwd = parsePasswdFile(await readFile(values['passwd-file'], 'utf8'));
  for (const p of passwd.problems) console.error(`${values['passwd-file']}:${p.line}: ${p.reason}; skipped`);
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  const printer = new ProgressPrinter(process.stdout);
  const summary: { user: string; mailbox: string; created: boolean; status: string; report?: ImportReport; problem?: string }[] = [];
  let failures = 0;
  try {
    // Which server this is (its mailbox databases), settled before any mailbox is created.
    await databases.locator();
    const defaultDomain = values.domain ?? (await directory.defaultDomain());
    for (const [index, entry] of passwd.entries.entries()) {
      const address = (entry.user.includes('@') ? entry.user : `${entry.user}@${defaultDomain}`).toLowerCase();
      const label = `${address} (${index + 1}/${passwd.entries.length})`;
      const domain = address.slice(address.lastIndexOf('@') + 1);
      if (!(await directory.isAcceptedDomain(domain))) {
        await directory.addAcceptedDomain(domain);
        console.log(`Accepted domain ${domain} added (Authoritative).`);
      }
      let mailbox: Mailbox | undefined = await directory.mailboxByAddress(address);
      const created = !mailbox;
      if (!mailbox) {
        const local = address.slice(0, address.lastIndexOf('@'));
        const aliasTaken = await directory.findMailbox(local);
        // The hash as Dovecot stored it: verified at logon as Dovecot would, then replaced by
        // Mailroom's own (src/auth/foreign-hashes.ts). A scheme Mailroom cannot check is not stored.
        let credentials;
        try {
          credentials = entry.password ? foreignCredentials(entry.password, values['default-pass-scheme'] ? { defaultScheme: values['default-pass-scheme'] } : {}) : undefined;
        } catch (err) {
          console.log(`${label}: the password is not carried over (${err instanceof Error ? err.message : String(err)}); set one with Set-Mailbox -Password`);
        }
        mailbox = await directory.createMailbox({
          name: entry.gecos.trim() || address, alias: aliasTaken ? `${local}.${domain.split('.')[0]}` : local,
          userPrincipalName: address, primarySmtpAddress: address,
          ...(credentials ? { credentials } : {}),
        });
      }
      const mail = await mailOf(entry, address, values.dovecot, values['mail-location']);
      if (!mail) {
        summary.push({ user: entry.user, mailbox: mailbox.name, created, status: 'Failed', problem: 'no mail found for this user under the mail root' });
        console.log(`${label}: mailbox ${created ? 'created' : 'exists'}; no mail found (looked under ${values.dovecot})`);
        failures++;
        continue;
      }
      const source: MigrationSource = mail.kind === 'Maildir'
        ? new MaildirSource(mail.path, values['pop3-uidl-format'] !== undefined ? { pop3UidlFormat: values['pop3-uidl-format'] } : {})
        : new MboxSource(mail.path);
      const store = await databases.storeFor(mailbox);
      printer.begin();
      const report = await importMailbox(store, mailbox.id, source, { badItemLimit, onProgress: (p) => printer.update(label, p) });
      printer.done();
      if (report.status === 'Failed') failures++;
      summary.push({ user: entry.user, mailbox: mailbox.name, created, status: report.status, report });
      const skipped = report.folders.reduce((n, f) => n + f.skipped.length, 0);
      const already = report.folders.reduce((n, f) => n + f.alreadyImported, 0);
      console.log(`${label}: ${report.status}; mailbox ${created ? 'created' : 'existed'}; ${report.itemsTransferred} messages imported (${report.bytesTransferred} bytes), ${already} already there, ${skipped} skipped${report.failure ? `; ${report.failure}` : ''}`);
      for (const f of report.folders) {
        for (const s of f.skipped) console.log(`  ${f.source}: skipped ${s.item}: ${s.reason}`);
        for (const n of f.notes) console.log(`  ${f.source}: ${n}`);
        if (!f.addsUp) console.log(`  ${f.source}: the counts do not add up (${f.sourceCount} at the source)`);
      }
    }
    if (values.json) console.log(JSON.stringify(summary, null, 2));
  } finally {
    await databases.closeAll();
    await directory.close();
  }
  return failures > 0 ? 1 : 0;
}
