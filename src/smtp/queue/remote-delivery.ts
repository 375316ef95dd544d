// One delivery attempt to a remote domain with nodemailer's SMTPConnection: the route's hosts in
// order until one answers, STARTTLS whenever the server offers it (required when the send
// connector says RequireTLS or its smart host wants the password only under TLS), AUTH at smart
// hosts, and an outcome per recipient. The DSN parameters of the envelope (RFC 3461: RET and
// ENVID on MAIL FROM, NOTIFY and ORCPT on each RCPT TO) are passed on when the server offers DSN;
// recipients with different NOTIFY or ORCPT values go in separate transactions on the same
// connection, as the SMTP client sets them per transaction.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Route } from './routing.ts';

/** OpenSSL's and Node's codes for a certificate that did not verify (nodemailer keeps them as originalCode). */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'INVALID_PURPOSE',
]);

/** The `tls` options for the route's certificate check (see CertificateCheck in routing.ts). */
export function tlsOptionsFor(route: Route, target: Route['targets'][number]): Record<string, unknown> {
  const servername = /^[\d.]+$|:/.test(target.hostname) ? undefined : target.hostname;
  const base = { minVersion: 'TLSv1.2', ...(servername ? { servername } : {}) };
  if (route.certificateCheck === 'none') return { ...base, rejectUnauthorized: false };
  const name = route.tlsDomain ?? target.hostname;
  return {
    ...base,
    // The system's CAs (and NODE_EXTRA_CA_CERTS) decide trust; the name is checked here because
    // the connection is made to an address, and the name may be -TlsDomain rather than the host.
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => (route.certificateCheck === 'name' ? checkServerIdentity(name, cert) : undefined),
  };
}

export type OutcomeKind = 'delivered' | 'temporary' | 'permanent';

export interface RecipientOutcome {
  address: string;
  kind: OutcomeKind;
  /** The remote server's reply, or what went wrong on the way. */
  response: string;
  /** The host that answered, for the DSN's Remote-MTA field. */
  remoteMta?: string;
  /** Delivered to a server that advertised DSN (it, not we, reports on NOTIFY=SUCCESS). */
  dsn?: boolean;
}

export interface RemoteEnvelope {
  sender: string;
  recipients: { address: string; notify: string[] | null; orcpt?: string | null }[];
  ret: string | null;
  envid: string | null;
}

interface SmtpError extends Error {
  code?: string;
  /** The socket's own error code, which nodemailer replaces with its own (ESOCKET). */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

const kindOf = (code: number | undefined): OutcomeKind => (code !== undefined && code >= 500 ? 'permanent' : 'temporary');

function connect(conn: SMTPConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    conn.once('error', reject);
    conn.connect(() => {
      conn.removeListener('error', reject);
      resolve();
    });
  });
}

/** Tries the route's hosts in order; a host that cannot be reached or says 4xx to the whole session leads to the next. */
export async function deliverRemote(route: Route, message: Buffer, envelope: RemoteEnvelope, ehloName: string): Promise<RecipientOutcome[]> {
  let last: RecipientOutcome[] | undefined;
  for (const target of route.targets) {
    const outcome = await deliverTo(target, route, message, envelope, ehloName);
    if (outcome.every((o) => o.kind === 'temporary') && outcome.every((o) => o.response.startsWith('connection'))) {
      last = outcome;
      continue;
    }
    return outcome;
  }
  return last ?? envelope.recipients.map((r) => ({ address: r.address, kind: 'temporary', response: 'connection: no host to try' }));
}

async function deliverTo(
  target: Route['targets'][number],
  route: Route,
  message: Buffer,
  envelope: RemoteEnvelope,
  ehloName: string,
): Promise<RecipientOutcome[]> {
  const conn = new SMTPConnection({
    host: target.address,
    port: target.port,
    name: route.fqdn ?? ehloName,
    requireTLS: route.requireTls,
    // MTA-to-MTA TLS is opportunistic (RFC 3207 §4): encrypt when offered, without requiring a
    // certificate the sender could verify, unless the connector requires TLS.
    opportunisticTLS: !route.requireTls,
    tls: tlsOptionsFor(route, target),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: route.inactivityTimeoutMs,
    logger: false,
  });
  // RFC 3464 §2.3.5: the Remote-MTA is named by its DNS name; the address is for the admin.
  const remoteMta = target.hostname === target.address ? target.address : `${target.hostname} [${target.address}]`;
  const all = (kind: OutcomeKind, response: string) => envelope.recipients.map((r) => ({ address: r.address, kind, response, remoteMta }));
  try {
    await connect(conn);
  } catch (err) {
    conn.close();
    const e = err as SmtpError;
    if (route.certificateCheck !== 'none' && CERTIFICATE_ERRORS.has(e.originalCode ?? '')) {
      const check = route.certificateCheck === 'name' ? `a trusted certificate for ${route.tlsDomain ?? target.hostname}` : 'a trusted certificate';
      const why = route.auth ? 'before it sends the smart host password' : `(-TlsAuthLevel ${route.certificateCheck === 'name' ? 'DomainValidation' : 'CertificateValidation'})`;
      return all('temporary', `TLS: ${remoteMta}:${target.port} did not present ${check}; the send connector needs one ${why}: ${e.message}`);
    }
    if (e.code === 'ETLS') return all('temporary', `TLS required by the send connector but not available at ${remoteMta}: ${e.message}`);
    return all('temporary', `connection: ${remoteMta}:${target.port}: ${e.response ?? e.message}`);
  }
  try {
    if (route.auth) {
      // requireTLS above already refuses a server without STARTTLS; this is the last guard.
      if (!(conn as unknown as { secure: boolean }).secure) return all('temporary', `TLS: ${remoteMta} did not start TLS; the smart host password is sent only over verified TLS`);
      await new Promise<void>((resolve, reject) => conn.login({ user: route.auth!.user, pass: route.auth!.pass }, (err) => (err ? reject(err) : resolve())));
    }
    const outcomes: RecipientOutcome[] = [];
    const groups = dsnGroups(envelope.recipients);
    for (const [i, group] of groups.entries()) {
      const result = await sendOnce(conn, message, envelope, group, route, remoteMta);
      outcomes.push(...result.outcomes);
      if (!result.reset || i === groups.length - 1) continue;
      // The next transaction starts from a clean state (RFC 5321 §4.1.1.5) after a refused one.
      const reset = await new Promise<Error | null>((resolve) => conn.reset((err) => resolve(err ?? null)));
      if (reset) {
        const rest = groups.slice(i + 1).flat();
        outcomes.push(...rest.map((r) => ({ address: r.address, kind: 'temporary' as const, response: `connection: ${remoteMta}: ${reset.message}`, remoteMta })));
        break;
      }
    }
    return outcomes;
  } catch (err) {
    const e = err as SmtpError;
    if (e.code === 'ETLS' || (route.requireTls && /STARTTLS/i.test(e.message))) return all('temporary', `TLS required by the send connector but not available at ${remoteMta}: ${e.message}`);
    if (e.code === 'EAUTH') return all('temporary', `authentication at ${remoteMta} failed: ${e.response ?? e.message}`);
    return all(e.responseCode ? kindOf(e.responseCode) : 'temporary', e.response ?? `connection: ${remoteMta}: ${e.message}`);
  } finally {
    conn.quit();
    setTimeout(() => conn.close(), 1000).unref();
  }
}

type EnvelopeRecipient = RemoteEnvelope['recipients'][number];

/** Recipients that can share one transaction: the same NOTIFY and ORCPT. */
function dsnGroups(recipients: EnvelopeRecipient[]): EnvelopeRecipient[][] {
  const groups = new Map<string, EnvelopeRecipient[]>();
  for (const r of recipients) {
    const key = `${(r.notify ?? []).join(',')}\u0000${r.orcpt ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/** One transaction for recipients with the same DSN parameters; `reset` when it ended in a refusal. */
async function sendOnce(
  conn: SMTPConnection,
  message: Buffer,
  envelope: RemoteEnvelope,
  recipients: EnvelopeRecipient[],
  route: Route,
  remoteMta: string,
): Promise<{ outcomes: RecipientOutcome[]; reset: boolean }> {
  const notify = recipients[0]?.notify;
  const orcpt = recipients[0]?.orcpt;
  const dsn = {
    ...(envelope.ret ? { ret: envelope.ret } : {}),
    ...(envelope.envid ? { envid: envelope.envid } : {}),
    ...(notify && notify.length > 0 ? { notify } : {}),
    ...(orcpt ? { orcpt } : {}),
  };
  try {
    const info = await new Promise<{ accepted: string[]; rejected: string[]; rejectedErrors?: SmtpError[]; response: string; ehlo?: string[] }>((resolve, reject) =>
      conn.send(
        { from: envelope.sender === '' ? false : envelope.sender, to: recipients.map((r) => r.address), size: message.length, ...(Object.keys(dsn).length > 0 ? { dsn } : {}), use8BitMime: true },
        message,
        (err, result) => (err ? reject(err) : resolve(result as never)),
      ),
    );
    // The EHLO reply (the one after STARTTLS, when there was one) says whether DSN was offered.
    const offersDsn = (info.ehlo ?? []).some((line) => /^DSN\b/i.test(line));
    const rejected = new Map((info.rejectedErrors ?? []).map((e) => [String(e.recipient).toLowerCase(), e]));
    return {
      reset: false,
      outcomes: recipients.map((r) => {
        const e = rejected.get(r.address.toLowerCase());
        return e
          ? { address: r.address, kind: kindOf(e.responseCode), response: e.response ?? e.message, remoteMta }
          : { address: r.address, kind: 'delivered' as const, response: info.response, remoteMta, dsn: offersDsn };
      }),
    };
  } catch (err) {
    const e = err as SmtpError;
    if (e.rejectedErrors && e.rejectedErrors.length > 0) {
      const rejected = new Map(e.rejectedErrors.map((x) => [String(x.recipient).toLowerCase(), x]));
      return {
        reset: true,
        outcomes: recipients.map((r) => {
          const x = rejected.get(r.address.toLowerCase()) ?? e;
          return { address: r.address, kind: kindOf(x.responseCode), response: x.response ?? x.message, remoteMta };
        }),
      };
    }
    const all = (kind: OutcomeKind, response: string) => recipients.map((r) => ({ address: r.address, kind, response, remoteMta }));
    if (e.code === 'ETLS' || (route.requireTls && /STARTTLS/i.test(e.message))) {
      return { reset: false, outcomes: all('temporary', `TLS required by the send connector but not available at ${remoteMta}: ${e.message}`) };
    }
    return { reset: e.responseCode !== undefined, outcomes: all(e.responseCode ? kindOf(e.responseCode) : 'temporary', e.response ?? `connection: ${remoteMta}: ${e.message}`) };
  }
}
