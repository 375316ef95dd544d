// Structured logs. Anything that could carry a credential is redacted by path, so a careless
// `log.info({ command })` of a LOGIN line still never writes the password.
import { createHmac, randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { logFormat, logLevel } from './env.ts';
import { chooseLogFormat, prettyLogLine, type LogFormat } from './log-format.ts';

export type { Logger };

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'credentials', '*.credentials',
  'authorization', '*.authorization', 'args.Password', 'values.Password',
];

export function createLogger(bindings: Record<string, unknown> = {}, format: LogFormat = chooseLogFormat(logFormat(), process.stdout.isTTY === true)): Logger {
  const options = {
    level: logLevel(),
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  if (format === 'json') return pino(options);
  // Written synchronously, as pino's default destination is: the last lines before a crash are kept.
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  return pino(options, { write: (line: string) => void process.stdout.write(prettyLogLine(line.endsWith('\n') ? line.slice(0, -1) : line, color)) });
}

export const silentLogger: Logger = pino({ level: 'silent' });

/** Random per process: a tag cannot be looked up in a table made from common passwords. */
const LOGON_TAG_KEY = randomBytes(32);

/**
 * How a logon name a client typed is logged when it names no account (or before it is known to
 * name one): its first three characters, then a short keyed hash. A user sometimes types the
 * password into the user name field; this keeps it out of the logs, while repeated attempts
 * with one name still show as one (within one process: each process has its own key). A known
 * account is logged by its user principal name instead.
 */
export function logonNameTag(name: string): string {
  const tag = createHmac('sha256', LOGON_TAG_KEY).update(name, 'utf8').digest('hex').slice(0, 8);
  return `${Array.from(name).slice(0, 3).join('')}...#${tag}`;
}
