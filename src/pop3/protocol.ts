// POP3 command lines (RFC 1939 §3, RFC 2449 §3): a keyword of three or four characters, case
// insensitive, then arguments separated by spaces. Pure: a line in, a command or the reason it
// is not one out. The TRANSACTION commands' arguments are checked here (counts, numbers), so
// the commands themselves only deal with meaning.

export type PopState = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE';

type ArgumentKind =
  /** A message number: required. */
  | 'msg'
  /** A message number: optional (LIST, UIDL). */
  | 'msg?'
  /** A count of lines (TOP). */
  | 'lines';

/** Commands whose arguments are message numbers, line counts or nothing, as this parser checks them. */
const NUMERIC_COMMANDS = {
  STAT: [],
  LIST: ['msg?'],
  RETR: ['msg'],
  DELE: ['msg'],
  NOOP: [],
  RSET: [],
  QUIT: [],
  TOP: ['msg', 'lines'],
  UIDL: ['msg?'],
  CAPA: [],
  UTF8: [],
  STLS: [],
} as const satisfies Record<string, readonly ArgumentKind[]>;

/**
 * Commands that take free text (names, credentials, SASL data). They belong to AUTHORIZATION;
 * the parser only recognises them so a later state can answer "not in this state". APOP is not
 * among them: Mailroom does not offer it (docs/pop3.md says why).
 */
const TEXT_COMMANDS = ['USER', 'PASS', 'AUTH'] as const;

export type NumericCommandName = keyof typeof NUMERIC_COMMANDS;
export type TextCommandName = (typeof TEXT_COMMANDS)[number];
export type CommandName = NumericCommandName | TextCommandName;

export type ParsedCommand =
  | { name: NumericCommandName; args: number[] }
  /** `text` is everything after the first space, untouched (passwords may hold spaces). */
  | { name: TextCommandName; text: Buffer | null };

export type ParseResult =
  | { ok: true; command: ParsedCommand }
  /** unknown: not a POP3 keyword; syntax: a known keyword with arguments that do not fit. */
  | { ok: false; error: 'unknown' | 'syntax'; keyword: string; message: string };

/** Every keyword this server knows, whatever the state. */
export const KNOWN_KEYWORDS: ReadonlySet<string> = new Set<string>([...Object.keys(NUMERIC_COMMANDS), ...TEXT_COMMANDS]);

const SP = 0x20;
const TAB = 0x09;
const MAX_DIGITS = 15; // stays a safe integer

function isNumericCommand(keyword: string): keyword is NumericCommandName {
  return Object.hasOwn(NUMERIC_COMMANDS, keyword);
}

function isTextCommand(keyword: string): keyword is TextCommandName {
  return (TEXT_COMMANDS as readonly string[]).includes(keyword);
}

/**
 * A decimal number as RFC 1939 writes them: digits only, no sign. Numbers too large for any
 * maildrop are capped rather than refused: "TOP 1 99999999999999999999" means "all lines",
 * and a message number that large is simply not there.
 */
function parseNumber(token: string): number | null {
  if (!/^[0-9]+$/.test(token)) return null;
  const digits = token.replace(/^0+(?=.)/, '');
  return digits.length > MAX_DIGITS ? Number.MAX_SAFE_INTEGER : Number(digits);
}

const USAGE: Record<NumericCommandName, string> = {
  STAT: 'STAT takes no arguments.',
  LIST: 'Use LIST or LIST <message number>.',
  RETR: 'Use RETR <message number>.',
  DELE: 'Use DELE <message number>.',
  NOOP: 'NOOP takes no arguments.',
  RSET: 'RSET takes no arguments.',
  QUIT: 'QUIT takes no arguments.',
  TOP: 'Use TOP <message number> <number of lines>.',
  UIDL: 'Use UIDL or UIDL <message number>.',
  CAPA: 'CAPA takes no arguments.',
  UTF8: 'UTF8 takes no arguments.',
  STLS: 'STLS takes no arguments.',
};

export function parseCommand(line: Buffer): ParseResult {
  let sp = line.indexOf(SP);
  if (sp < 0) sp = line.length;
  const keyword = line.subarray(0, sp).toString('latin1').toUpperCase();
  const rest = sp < line.length ? line.subarray(sp + 1) : null;
  if (isTextCommand(keyword)) return { ok: true, command: { name: keyword, text: rest } };
  if (!isNumericCommand(keyword)) {
    // Only printable keywords are echoed back in messages and logs.
    const shown = /^[\x21-\x7e]{1,8}$/.test(keyword) ? keyword : '';
    return { ok: false, error: 'unknown', keyword: shown, message: 'Unknown command.' };
  }
  // Clients are forgiving about whitespace in what they send; so are we, for numbers.
  const tokens = rest === null ? [] : rest.toString('latin1').split(/[ \t]+/).filter((t) => t.length > 0);
  if (rest !== null && rest.some((b) => b < SP && b !== TAB)) return syntax(keyword);
  const kinds: readonly ArgumentKind[] = NUMERIC_COMMANDS[keyword];
  const required = kinds.filter((k) => k !== 'msg?').length;
  if (tokens.length < required || tokens.length > kinds.length) return syntax(keyword);
  const args: number[] = [];
  for (const token of tokens) {
    const n = parseNumber(token);
    if (n === null) return syntax(keyword);
    args.push(n);
  }
  return { ok: true, command: { name: keyword, args } };
}

function syntax(keyword: NumericCommandName): ParseResult {
  return { ok: false, error: 'syntax', keyword, message: USAGE[keyword] };
}
