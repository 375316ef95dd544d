// Shared by the protocol tests: a seeded PRNG and short ways to parse a command line.
import assert from 'node:assert/strict';
import { parseCommand, ParseError, type Command, type CommandArgs, type ParseOptions, type Token } from '../../../src/imap/protocol/index.ts';
export { pick, prng, randomInt } from '../../support/random.ts';

/** Parses a command written as one string (literals inline as `{n}\r\n…`). */
export function parse(line: string | Buffer, options: ParseOptions = {}): Command {
  return parseCommand(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, options);
}

/** The args of a command of a known name. */
export function argsOf<K extends Command['command']>(line: string | Buffer, command: K, options: ParseOptions = {}): CommandArgs[K] {
  const parsed = parse(line, options);
  assert.equal(parsed.command, command);
  return parsed.args as CommandArgs[K];
}

/** The ParseError a line produces (fails the test when it parses or throws something else). */
export function parseError(line: string | Buffer, options: ParseOptions = {}): ParseError {
  try {
    parse(line, options);
  } catch (error) {
    assert.ok(error instanceof ParseError, `expected ParseError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(String(line))} to be rejected`);
}

/** A token tree as plain values, for compact expectations. */
export type Shown = string | number | null | Shown[] | { [key: string]: Shown };

export function show(tokens: readonly Token[]): Shown[] {
  return tokens.map((t): Shown => {
    switch (t.kind) {
      case 'atom':
        return t.text;
      case 'number':
        return t.value;
      case 'nil':
        return null;
      case 'sequence':
        return { seq: t.text };
      case 'string': {
        const key = t.form === 'quoted' ? 'q' : t.binary ? (t.nonSync ? 'lit8+' : 'lit8') : t.nonSync ? 'lit+' : 'lit';
        return { [key]: t.value.toString('utf8') };
      }
      case 'list':
        return show(t.items);
      case 'section': {
        const out: { [key: string]: Shown } = { [t.name]: show(t.items) };
        if (t.partial) out.partial = [t.partial.offset, t.partial.length];
        return out;
      }
    }
  });
}
