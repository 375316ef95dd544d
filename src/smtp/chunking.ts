// CHUNKING (BDAT) and BINARYMIME, RFC 3030, added to smtp-server's connection: the library has
// DATA only. A BDAT chunk is exactly <size> octets after the command line, with no dot-stuffing
// and no terminator, so the parser's data mode (which looks for CRLF.CRLF) is replaced by a
// counted read while a chunk is in flight. Every chunk of a message feeds one stream that goes
// to the same onData handler DATA uses; the message is answered after the LAST chunk.
//
// RFC 3030 §2: a server that refuses a BDAT command must still read the chunk's octets, or they
// would be taken for commands. Refused chunks are therefore always drained.
import { PassThrough } from 'node:stream';
import type { SmtpConnectionInternals, SmtpParserInternals } from './server-internals.ts';
import { Replies, type SmtpReply } from './replies.ts';

export interface ChunkingOptions {
  /** ChunkingEnabled: BDAT is offered and accepted. */
  chunking: () => boolean;
  /** BinaryMimeEnabled: BODY=BINARYMIME is offered and accepted (only with chunking). */
  binaryMime: () => boolean;
}

type DataCallback = (err?: (Error & { responseCode?: number }) | null, message?: string) => void;

/** What smtp-server's onData handler told us about the message, once it has. */
interface Outcome {
  err?: (Error & { responseCode?: number }) | null;
  message?: string;
}

/** The message being received chunk by chunk. */
interface ChunkedMessage {
  stream: PassThrough & { byteLength: number; sizeExceeded: boolean; chunked: true };
  outcome?: Outcome;
  onOutcome?: () => void;
}

/** A counted read in progress: `remaining` octets still belong to the current chunk. */
interface ChunkRead {
  remaining: number;
  /** Takes the chunk's octets; false means "wait for drain". */
  sink: ((data: Buffer) => boolean) | null;
  drained: (() => Promise<void>) | null;
  /** Runs once the whole chunk is read; `resume` goes back to reading commands. */
  finished: (resume: () => void) => void;
}

const BDAT_LINE = /^BDAT +(\d{1,15})( +LAST)? *$/i;

/** Parses a BDAT command line: the chunk size and whether it is the last chunk. */
export function parseBdat(line: string): { size: number; last: boolean } | null {
  const m = BDAT_LINE.exec(line.trim());
  if (!m) return null;
  return { size: Number(m[1]), last: m[2] !== undefined };
}

export function installChunking(connection: SmtpConnectionInternals, options: ChunkingOptions): void {
  let message: ChunkedMessage | null = null;
  /** Set after a refused chunk: later chunks of the message are drained and refused (§2). */
  let refusing = false;
  let read: ChunkRead | null = null;

  const reply = (r: SmtpReply) => connection.send(r.responseCode, r.message);
  const abandon = () => {
    if (message && !message.stream.destroyed) message.stream.destroy();
    message = null;
    refusing = false;
  };

  // RSET, EHLO, a finished DATA and a new MAIL all reset the session: any chunked message goes.
  const resetSession = connection._resetSession.bind(connection);
  connection._resetSession = () => {
    abandon();
    resetSession();
  };

  const ehlo = connection.handler_EHLO;
  connection.handler_EHLO = function (this: SmtpConnectionInternals, command, callback) {
    const send = this.send;
    this.send = (code, data, context) => {
      if (code === 250 && Array.isArray(data)) {
        const extra = options.chunking() ? (options.binaryMime() ? ['BINARYMIME', 'CHUNKING'] : ['CHUNKING']) : [];
        data = [...data, ...extra];
      }
      send.call(this, code, data, context);
    };
    try {
      ehlo.call(this, command, callback);
    } finally {
      this.send = send;
    }
  };

  // BODY=BINARYMIME passes MAIL FROM when offered; smtp-server knows only 7BIT and 8BITMIME.
  const validateMailParams = connection._validateMailParams.bind(connection);
  connection._validateMailParams = (parsed) => {
    const body = parsed.args?.BODY;
    if (typeof body === 'string' && body.toUpperCase() === 'BINARYMIME' && options.chunking() && options.binaryMime()) {
      const { BODY: _body, ...rest } = parsed.args ?? {};
      return validateMailParams({ ...parsed, args: rest });
    }
    return validateMailParams(parsed);
  };

  const data = connection.handler_DATA;
  connection.handler_DATA = function (this: SmtpConnectionInternals, command, callback) {
    if (message || refusing) {
      // The client and server no longer agree on where the message is: drop it (RFC 3030 §2
      // leaves the recovery to the client's RSET).
      abandon();
      refusing = true;
      reply(Replies.dataAfterBdat());
      return callback();
    }
    if (this.session.envelope.bodyType === 'binarymime') {
      reply(Replies.binaryNeedsBdat());
      return callback();
    }
    data.call(this, command, callback);
  };

  // The parser's data mode goes to the counted read while a chunk is in flight. STARTTLS gives
  // the connection a new parser, so the one made then is hooked as well.
  let parser = connection._parser as SmtpParserInternals;
  const hookParser = (p: SmtpParserInternals) => {
    const feedDataStream = p._feedDataStream.bind(p);
    p._feedDataStream = (chunk: Buffer, done: (err?: Error) => void) => {
      if (!read || p !== parser) return feedDataStream(chunk, done);
      const current = read;
      const take = Math.min(current.remaining, chunk.length);
      current.remaining -= take;
      const accepted = take > 0 && current.sink ? current.sink(chunk.subarray(0, take)) : true;
      if (current.remaining > 0) {
        if (accepted || !current.drained) return done();
        void current.drained().then(() => done());
        return;
      }
      read = null;
      p._dataMode = false;
      const rest = chunk.subarray(take);
      const finish = () => current.finished(() => p._write(rest, 'buffer', done));
      if (accepted || !current.drained) finish();
      else void current.drained().then(finish);
    };
    return p;
  };
  hookParser(parser);
  const createParser = connection._createParser.bind(connection);
  connection._createParser = () => (parser = hookParser(createParser()));

  /** Reads `size` octets into `sink` (or discards them), then calls `finished`. */
  const readChunk = (size: number, sink: ChunkRead['sink'], drained: ChunkRead['drained'], finished: ChunkRead['finished'], callback: () => void) => {
    if (size === 0) {
      finished(callback);
      return;
    }
    read = { remaining: size, sink, drained, finished };
    parser._dataMode = true;
    // The command callback lets the parser go on: it sees data mode and hands the octets that
    // follow the command line (and later socket data) to _feedDataStream above.
    callback();
  };

  const startMessage = (): ChunkedMessage => {
    const stream = Object.assign(new PassThrough(), { byteLength: 0, sizeExceeded: false, chunked: true as const });
    const started: ChunkedMessage = { stream };
    connection._server.onData(stream, connection.session, ((err, text) => {
      started.outcome = { err: err ?? null, ...(text !== undefined ? { message: text } : {}) };
      started.onOutcome?.();
    }) as DataCallback);
    return started;
  };

  /** The message's final reply, as DATA gives it, and the session reset that follows it. */
  const finishMessage = (current: ChunkedMessage, resume: () => void) => {
    const answer = () => {
      const outcome = current.outcome!;
      if (outcome.err) connection.send(outcome.err.responseCode || 450, outcome.err.message);
      else connection.send(250, typeof outcome.message === 'string' ? outcome.message : 'OK: message queued');
      connection._transactionCounter++;
      connection._unrecognizedCommands = 0;
      connection._resetSession();
      resume();
    };
    if (current.outcome) answer();
    else current.onOutcome = answer;
  };

  connection.handler_BDAT = function (this: SmtpConnectionInternals, command, callback) {
    if (!options.chunking()) {
      reply(Replies.chunkingDisabled());
      return callback();
    }
    const bdat = parseBdat(command.toString('binary'));
    if (!bdat) {
      reply(Replies.bdatSyntax());
      return callback();
    }
    const refusal = refusing ? Replies.bdatAfterFailure() : this.session.envelope.rcptTo.length === 0 ? Replies.bdatNoTransaction() : null;
    if (refusal) {
      if (message) abandon();
      refusing = true;
      readChunk(bdat.size, null, null, (resume) => {
        reply(refusal);
        resume();
      }, callback);
      return;
    }
    const current = message ?? (message = startMessage());
    const stream = current.stream;
    readChunk(
      bdat.size,
      (octets) => {
        stream.byteLength += octets.length;
        return stream.destroyed ? true : stream.write(octets);
      },
      () => new Promise<void>((resolve) => {
        const go = () => {
          stream.off('drain', go);
          stream.off('close', go);
          resolve();
        };
        stream.on('drain', go);
        stream.on('close', go);
      }),
      (resume) => {
        if (message !== current) {
          // The session was reset while the chunk was read (the connection is closing).
          resume();
          return;
        }
        if (bdat.last) {
          stream.end();
          finishMessage(current, resume);
          return;
        }
        // The handler may already have refused the message (it cannot fail before LAST today,
        // but a refusal must not be answered with "received"): then this chunk carries it.
        if (current.outcome?.err) {
          const err = current.outcome.err;
          abandon();
          refusing = true;
          connection.send(err.responseCode || 450, err.message);
        } else {
          reply(Replies.chunkReceived(bdat.size));
        }
        resume();
      },
      callback,
    );
  };
}
