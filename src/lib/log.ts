// Structured logs. Anything that could carry a credential is redacted by path, so a careless
// `log.info({ command })` of a LOGIN line still never writes the password.
import { pino, type Logger } from 'pino';
import { logLevel } from './env.ts';

export type { Logger };

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'credentials', '*.credentials',
  'authorization', '*.authorization', 'args.Password', 'values.Password',
];

export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level: logLevel(),
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT, censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
