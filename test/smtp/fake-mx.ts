// A remote mail server for the outbound tests: smtp-server on a loopback port, with STARTTLS on
// the organization's certificate, optional AUTH (a smart host), DSN offered or not, a
// per-recipient answer, and a record of what it received (with the DSN parameters).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  secure: boolean;
  user?: string;
  /** RET and ENVID of MAIL FROM (null when not given). */
  dsn: { ret: string | null; envid: string | null };
  /** NOTIFY and ORCPT of each RCPT TO, in the order of `to`. */
  rcptDsn: { notify?: string[]; orcpt?: string }[];
}

export interface FakeMx {
  port: number;
  received: Received[];
  /** Answer for a recipient: undefined accepts, else an error reply such as '550 5.1.1 No such user'. */
  answer: (address: string) => string | undefined;
  /** Called for every connection, so a test can count attempts. */
  connections: number;
  /** AUTH commands received, accepted or not: a password sent where it should not be shows here. */
  authAttempts: number;
  close(): Promise<void>;
}

export async function startFakeMx(options: { certPem: string; keyPem: string; auth?: { user: string; pass: string }; startTls?: boolean; dsn?: boolean }): Promise<FakeMx> {
  const mx: FakeMx = { port: 0, received: [], answer: () => undefined, connections: 0, authAttempts: 0, close: async () => undefined };
  const server = new SMTPServer({
    key: options.keyPem,
    cert: options.certPem,
    logger: false,
    disableReverseLookup: true,
    // Replies are given whole by the tests, enhanced codes included.
    hideENHANCEDSTATUSCODES: true,
    hideDSN: options.dsn === false,
    authOptional: !options.auth,
    // Without STARTTLS a client could still send AUTH in clear: accepted here so a test sees it.
    allowInsecureAuth: options.startTls === false,
    disabledCommands: [...(options.auth ? [] : ['AUTH']), ...(options.startTls === false ? ['STARTTLS'] : [])],
    onConnect(_session, callback) {
      mx.connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      mx.authAttempts++;
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) callback(null, { user: auth.username });
      else callback(new Error('Invalid credentials'));
    },
    onRcptTo(address, _session, callback) {
      const answer = mx.answer(address.address);
      if (!answer) return callback();
      const code = Number(answer.slice(0, 3));
      callback(Object.assign(new Error(answer.slice(4)), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mx.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          ...(session.user ? { user: String(session.user) } : {}),
          dsn: { ret: session.envelope.dsn?.ret ?? null, envid: session.envelope.dsn?.envid ?? null },
          rcptDsn: session.envelope.rcptTo.map((r) => ({ ...r.dsn })),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  mx.port = (server.server.address() as AddressInfo).port;
  mx.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return mx;
}
