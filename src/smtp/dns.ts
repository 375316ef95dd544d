// DNS for mail: one resolver function, injectable, used by SPF/DKIM/DMARC/ARC checks (mailauth
// calls it as dns.promises.resolve) and by MX routing in the outbound queue. Tests pass a fake
// one, so no test ever needs the network.
import { promises as dns } from 'node:dns';

/**
 * Resolves `name` for `rrtype` ('MX', 'TXT', 'A', 'AAAA', …) with the result shapes of
 * dns.promises.resolve: MX → {exchange, priority}[], TXT → string[][], A/AAAA → string[].
 * A missing name or type rejects with an error whose code is ENOTFOUND or ENODATA.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown[]>;

export const systemResolver: DnsResolver = (name, rrtype) => dns.resolve(name, rrtype) as Promise<unknown[]>;

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** An error like node:dns gives for a name that does not exist. */
export function dnsNotFound(name: string, code: 'ENOTFOUND' | 'ENODATA' = 'ENOTFOUND'): Error {
  return Object.assign(new Error(`queryTxt ${code} ${name}`), { code, hostname: name });
}

/**
 * A resolver answering from a table, for tests and for isolated setups: keys are
 * `name TYPE` (`example.org MX`), values what dns.promises.resolve would return.
 */
export function tableResolver(records: Record<string, unknown[]>): DnsResolver {
  return async (name, rrtype) => {
    const key = `${name.toLowerCase().replace(/\.$/, '')} ${rrtype.toUpperCase()}`;
    const found = records[key];
    if (found) return found;
    const anyType = Object.keys(records).some((k) => k.startsWith(`${name.toLowerCase()} `));
    throw dnsNotFound(name, anyType ? 'ENODATA' : 'ENOTFOUND');
  };
}
