// One cell of the CSV logs (the POP3 and IMAP4 protocol logs, the SMTP receive log). Their
// cells carry what clients send (commands, user names, EHLO names, replies quoting them), and
// admins open these files in spreadsheets, so a cell must never be read as a formula nor break
// a line (OWASP, "CSV Injection"):
//   - CR and LF runs become one space, so a multi-line reply stays on one line; a tab becomes a
//     space; other control characters (C0, DEL, C1), the Unicode line separators and the
//     bidirectional overrides (which make a line read differently than it is) become U+FFFD;
//   - a cell that then starts with = + - or @ gets a leading ' so that no spreadsheet runs it;
//   - a cell holding a comma or a quote, or given that ', is quoted, with quotes doubled.

const UNSAFE = /[\r\n]+|[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const FORMULA_START = new Set(['=', '+', '-', '@']);

export function csvCell(value: string | number): string {
  let text = String(value).replace(UNSAFE, (c) => (c[0] === '\r' || c[0] === '\n' || c === '\t' ? ' ' : '\ufffd'));
  const formula = FORMULA_START.has(text[0] ?? '');
  if (formula) text = `'${text}`;
  return formula || text.includes(',') || text.includes('"') ? `"${text.replaceAll('"', '""')}"` : text;
}
