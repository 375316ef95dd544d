// PURE: the CSV of accounts an IMAP migration reads, as Exchange's IMAP migration batch takes it:
// a header line naming the columns EmailAddress, UserName and Password (any order, any case),
// then one account per line. Mailroom adds an optional Mailbox column: the Mailroom mailbox to
// import into when it is not the one with EmailAddress. Fields follow RFC 4180: separated by
// commas, optionally in double quotes (a quote inside doubled, commas and line breaks allowed).
// A UserName such as `terry*mailadmin` is a Dovecot master-user logon, as Exchange documents it.

export interface MigrationAccount {
  /** The line the account starts on (1-based), for messages. */
  line: number;
  emailAddress: string;
  userName: string;
  password: string;
  mailbox?: string;
}

export interface MigrationCsv {
  accounts: MigrationAccount[];
  /** Lines that are not an account, and why; the others are still read. */
  problems: { line: number; reason: string }[];
}

export class MigrationCsvError extends Error {}

/** Splits RFC 4180 text into records of fields, each with the line it starts on. */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    // A line with nothing on it is not a record.
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) records.push({ line: startLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      startLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new MigrationCsvError(`line ${startLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

const COLUMNS = ['emailaddress', 'username', 'password', 'mailbox'] as const;

/** Reads the migration CSV; throws MigrationCsvError when the header lacks a required column. */
export function parseMigrationCsv(text: string): MigrationCsv {
  const records = csvRecords(text.startsWith('\ufeff') ? text.slice(1) : text);
  const header = records.shift();
  if (!header) throw new MigrationCsvError('the file is empty; the first line names the columns EmailAddress,UserName,Password');
  const index = new Map<string, number>();
  for (const [i, name] of header.fields.entries()) {
    const key = name.trim().toLowerCase();
    if ((COLUMNS as readonly string[]).includes(key)) index.set(key, i);
  }
  const missing = ['EmailAddress', 'UserName', 'Password'].filter((c) => !index.has(c.toLowerCase()));
  if (missing.length > 0) throw new MigrationCsvError(`the first line must name the columns EmailAddress,UserName,Password (missing: ${missing.join(', ')})`);
  const out: MigrationCsv = { accounts: [], problems: [] };
  const seen = new Set<string>();
  for (const r of records) {
    const get = (column: string) => {
      const i = index.get(column);
      return i === undefined ? '' : (r.fields[i] ?? '');
    };
    const emailAddress = get('emailaddress').trim();
    const userName = get('username').trim();
    const at = emailAddress.indexOf('@');
    if (at <= 0 || at === emailAddress.length - 1 || emailAddress.indexOf('@', at + 1) >= 0 || emailAddress.includes(' ')) {
      out.problems.push({ line: r.line, reason: `'${emailAddress}' is not an email address` });
      continue;
    }
    if (userName === '') {
      out.problems.push({ line: r.line, reason: `${emailAddress} has no UserName` });
      continue;
    }
    if (seen.has(emailAddress.toLowerCase())) {
      out.problems.push({ line: r.line, reason: `${emailAddress} is listed twice; the first line counts` });
      continue;
    }
    seen.add(emailAddress.toLowerCase());
    const mailbox = get('mailbox').trim();
    // The password is taken as written: spaces at its ends may be part of it.
    out.accounts.push({ line: r.line, emailAddress, userName, password: get('password'), ...(mailbox ? { mailbox } : {}) });
  }
  return out;
}
