// Dovecot's passwd-file (https://doc.dovecot.org/configuration_manual/authentication/passwd_file/):
//   user:password:uid:gid:(gecos):home:(shell):extra_fields
// with `{SCHEME}hash` passwords and space-separated `key=value` extra fields (userdb_mail=…).
// Pure; a line that cannot be read is reported with its number, not fatal.

export interface PasswdEntry {
  line: number;
  user: string;
  /** The password field as stored (`{SCHEME}hash`, or a bare hash of the default_pass_scheme); null when empty. */
  password: string | null;
  gecos: string;
  home: string;
  extra: Record<string, string>;
}

export interface PasswdFile {
  entries: PasswdEntry[];
  problems: { line: number; reason: string }[];
}

export function parsePasswdFile(text: string): PasswdFile {
  const out: PasswdFile = { entries: [], problems: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim().length === 0 || line.trimStart().startsWith('#')) continue;
    // The first seven fields are colon-separated; the extra fields (after the seventh colon) may hold colons.
    const fields: string[] = [];
    let start = 0;
    for (let k = 0; k < 7; k++) {
      const colon = line.indexOf(':', start);
      if (colon < 0) break;
      fields.push(line.slice(start, colon));
      start = colon + 1;
    }
    fields.push(line.slice(start));
    const user = fields[0] ?? '';
    if (user.length === 0 || fields.length < 2) {
      out.problems.push({ line: i + 1, reason: user.length === 0 ? 'no user name' : 'no password field' });
      continue;
    }
    const rawPassword = fields[1] ?? '';
    const password = rawPassword.length === 0 ? null : rawPassword;
    const extra: Record<string, string> = {};
    for (const item of (fields[7] ?? '').split(' ')) {
      if (item.length === 0) continue;
      const eq = item.indexOf('=');
      if (eq > 0) extra[item.slice(0, eq)] = item.slice(eq + 1);
      else extra[item] = '';
    }
    out.entries.push({ line: i + 1, user, password, gecos: fields[4] ?? '', home: fields[5] ?? '', extra });
  }
  return out;
}

/**
 * A Dovecot mail_location for one user: `maildir:~/Maildir`, `maildir:/var/vmail/%d/%n/Maildir`,
 * `mbox:~/mail:INBOX=/var/mail/%u`. Variables %u (user), %n (local part), %d (domain), %h
 * (home), %% and their long forms %{user}, %{username}, %{domain}, %{home}; `~` is the home.
 * Returns the kind, the path, and for mbox an INBOX file, or null for a format Mailroom does
 * not read (sdbox, mdbox).
 */
export function expandMailLocation(location: string, user: { user: string; home: string }): { kind: 'Maildir' | 'Mbox'; path: string; inbox?: string } | null {
  const colon = location.indexOf(':');
  const format = colon < 0 ? '' : location.slice(0, colon).toLowerCase();
  if (format !== 'maildir' && format !== 'mbox') return null;
  const [path, ...params] = location.slice(colon + 1).split(':');
  const at = user.user.lastIndexOf('@');
  const values: Record<string, string> = {
    u: user.user, user: user.user, n: at < 0 ? user.user : user.user.slice(0, at), username: at < 0 ? user.user : user.user.slice(0, at),
    d: at < 0 ? '' : user.user.slice(at + 1), domain: at < 0 ? '' : user.user.slice(at + 1), h: user.home, home: user.home,
  };
  const expand = (text: string): string => {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '~' && i === 0) out += user.home;
      else if (c !== '%') out += c;
      else if (text[i + 1] === '%') {
        out += '%';
        i++;
      } else if (text[i + 1] === '{') {
        const close = text.indexOf('}', i);
        const name = close < 0 ? '' : text.slice(i + 2, close);
        out += values[name] ?? '';
        i = close < 0 ? text.length : close;
      } else {
        // Dovecot's modifiers (%Lu lower case) between % and the letter.
        let j = i + 1;
        let lower = false;
        while (j < text.length && (text[j] === 'L' || text[j] === 'U')) lower = text[j++] === 'L';
        const v = values[text[j] ?? ''] ?? '';
        out += lower ? v.toLowerCase() : v;
        i = j;
      }
    }
    return out;
  };
  const result: { kind: 'Maildir' | 'Mbox'; path: string; inbox?: string } = { kind: format === 'maildir' ? 'Maildir' : 'Mbox', path: expand(path ?? '') };
  for (const p of params) if (p.toUpperCase().startsWith('INBOX=')) result.inbox = expand(p.slice(6));
  return result;
}
