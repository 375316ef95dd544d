// SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) for mail from the
// Internet, done by mailauth, recorded in an Authentication-Results field (RFC 8601) and a
// Received-SPF field, and turned into an action by the domain's DMARC policy:
//   p=reject     → DmarcRejectAction (Set-TransportConfig): Reject (550 5.7.1, the default),
//                  Junk (delivered to Junk Email) or Accept (delivered, the header says fail);
//   p=quarantine → Junk Email, unless DmarcRejectAction is Accept;
//   p=none       → delivered.
// A failed check of our own (DNS down) never loses mail: it is delivered with what is known.
// A check past its time limit (inbound-auth-thread.ts) counts as temporarily unverifiable: the
// message is delivered with spf, dkim and dmarc temperror (RFC 8601 §2.7) and no DMARC policy
// is applied, as when the sender's DNS times out.
// The checks themselves run in a worker thread (inbound-auth-worker.ts).
import type { Logger } from '../lib/log.ts';
import { InboundAuthThread, InboundCheckTimeout, type InboundAuthThreadOptions } from './inbound-auth-thread.ts';
import type { InboundChecker, InboundVerdict } from './context.ts';
import type { DnsResolver } from './dns.ts';
import { readHeader } from './message-checks.ts';

/**
 * RFC 8601 §5: Authentication-Results fields that claim to come from us were put there by the
 * sender, so they are removed before ours is added. Other fields are left byte-exact.
 */
export function removeForgedResults(message: Buffer, authservId: string): Buffer {
  const header = readHeader(message);
  const forged = header.fields.filter((f) => {
    if (f.name.toLowerCase() !== 'authentication-results') return false;
    const id = /^\s*([^\s;]+)/.exec(message.toString('latin1', f.valueStart, f.end))?.[1] ?? '';
    return id.toLowerCase() === authservId.toLowerCase();
  });
  if (forged.length === 0) return message;
  const parts: Buffer[] = [];
  let pos = 0;
  for (const f of forged) {
    parts.push(message.subarray(pos, f.start));
    pos = f.end;
  }
  parts.push(message.subarray(pos));
  return Buffer.concat(parts);
}

/** The Authentication-Results field of a message whose checks ran out of time. */
export function timedOutResults(receiver: string, sender: string, limitMs: number): string {
  const mailfrom = sender ? ` smtp.mailfrom=${sender}` : '';
  const why = `(checks took longer than ${limitMs / 1000} s)`;
  return `Authentication-Results: ${receiver}; spf=temperror ${why}${mailfrom}; dkim=temperror ${why}; dmarc=temperror ${why}\r\n`;
}

export class MailauthChecker implements InboundChecker {
  readonly thread: InboundAuthThread;

  constructor(
    resolver: DnsResolver,
    private readonly log: Logger,
    options: InboundAuthThreadOptions = {},
  ) {
    this.thread = new InboundAuthThread(resolver, options);
  }

  async check(input: Parameters<InboundChecker['check']>[0]): Promise<InboundVerdict> {
    const message = removeForgedResults(input.message, input.receiver);
    try {
      const result = await this.thread.run({ message, ip: input.clientAddress, helo: input.helo, sender: input.sender, mta: input.receiver });
      const dmarc = result.dmarc;
      let action: InboundVerdict['action'] = { kind: 'deliver' };
      if (dmarc && dmarc.result === 'fail') {
        const policy = String(dmarc.policy ?? 'none').toLowerCase();
        if (policy === 'reject') {
          action = input.rejectAction === 'Reject' ? { kind: 'reject', domain: dmarc.domain } : input.rejectAction === 'Junk' ? { kind: 'junk' } : { kind: 'deliver' };
        } else if (policy === 'quarantine' && input.rejectAction !== 'Accept') {
          action = { kind: 'junk' };
        }
      }
      return { headers: result.headers, action, authenticatedDomains: result.passed, ...(message !== input.message ? { message } : {}) };
    } catch (err) {
      if (err instanceof InboundCheckTimeout) {
        this.log.warn({ client: input.clientAddress, sender: input.sender, limitMs: err.limitMs }, 'smtp: authentication checks timed out; delivering with temperror, check worker replaced');
        return {
          headers: timedOutResults(input.receiver, input.sender, err.limitMs),
          action: { kind: 'deliver' },
          // Nothing was verified: a claim to an accepted domain stays unproven.
          authenticatedDomains: [],
          ...(message !== input.message ? { message } : {}),
        };
      }
      this.log.warn({ err, client: input.clientAddress }, 'smtp: authentication checks failed; delivering without a verdict');
      return {
        headers: `Authentication-Results: ${input.receiver}; none (checks could not be completed)\r\n`,
        action: { kind: 'deliver' },
        authenticatedDomains: [],
        ...(message !== input.message ? { message } : {}),
      };
    }
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
