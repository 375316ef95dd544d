// The one error type of the protocol layer. The tokenizer and the parser throw nothing else on
// any input, so a session can answer every failure with `<tag> BAD <message>` (or NO, where an
// RFC asks for it) and carry on.

export type ErrorStatus = 'BAD' | 'NO';

export interface ParseErrorOptions {
  /** The command's tag, when it could be read; without it the answer is untagged (`* BAD`). */
  tag?: string | null;
  /** BAD for syntax errors; NO where an RFC asks for it (an unsupported CHARSET, §6.4.4). */
  status?: ErrorStatus;
  /** A response code without brackets, e.g. `BADCHARSET (UTF-8 US-ASCII)` or `TOOBIG`. */
  code?: string | null;
}

export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly tag: string | null;
  readonly status: ErrorStatus;
  readonly code: string | null;

  constructor(message: string, options: ParseErrorOptions = {}) {
    super(message);
    this.tag = options.tag ?? null;
    this.status = options.status ?? 'BAD';
    this.code = options.code ?? null;
  }

  /** The same error, answered under `tag` (the parser learns the tag after the tokenizer failed). */
  withTag(tag: string | null): ParseError {
    if (tag === this.tag) return this;
    return new ParseError(this.message, { tag, status: this.status, code: this.code });
  }
}
