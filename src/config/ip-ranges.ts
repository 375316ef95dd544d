// RemoteIPRanges entries in the forms Set-ReceiveConnector takes: one address (192.168.1.10),
// a range (192.168.1.10-192.168.1.20), CIDR (192.168.1.0/24), or an address with a mask
// (192.168.1.0(255.255.255.0)); IPv6 alike. Pure: no I/O. Addresses are validated with
// net.isIP and split by hand, with no regular expression over the text.
import { isIP } from 'node:net';

export interface IpRange {
  family: 4 | 6;
  start: bigint;
  end: bigint;
}

/** An IPv4 address mapped into IPv6 (::ffff:a.b.c.d), as dual-stack sockets report IPv4 clients. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : address;
}

/** The address as a number, or undefined when it is not an IP address. */
export function addressValue(text: string): { family: 4 | 6; value: bigint } | undefined {
  const address = unmapped(text.trim());
  const family = isIP(address);
  if (family === 4) {
    let value = 0n;
    for (const part of address.split('.')) value = (value << 8n) | BigInt(Number(part));
    return { family: 4, value };
  }
  if (family !== 6) return undefined;
  // Zone ids (fe80::1%eth0) say nothing about the address itself.
  const bare = address.split('%')[0]!;
  let groups: string[];
  const halves = bare.split('::');
  const toGroups = (part: string): string[] => {
    if (part === '') return [];
    const out: string[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        // An embedded IPv4 tail (::ffff:192.0.2.1, 64:ff9b::192.0.2.1) is two groups.
        const v4 = addressValue(piece)!.value;
        out.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
      } else out.push(piece);
    }
    return out;
  };
  if (halves.length === 2) {
    const head = toGroups(halves[0]!);
    const tail = toGroups(halves[1]!);
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  } else groups = toGroups(bare);
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return { family: 6, value };
}

function prefixRange(family: 4 | 6, value: bigint, prefix: number): IpRange | undefined {
  const bits = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return { family, start: value & ~host & ((1n << BigInt(bits)) - 1n), end: value | host };
}

/** One RemoteIPRanges entry, or undefined when it is none of the accepted forms. */
export function parseIpRange(text: string): IpRange | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash >= 0) {
    const base = addressValue(t.slice(0, slash));
    const digits = t.slice(slash + 1);
    if (!base || digits === '' || digits.length > 3 || ![...digits].every((c) => c >= '0' && c <= '9')) return undefined;
    return prefixRange(base.family, base.value, Number(digits));
  }
  const paren = t.indexOf('(');
  if (paren >= 0 && t.endsWith(')')) {
    const base = addressValue(t.slice(0, paren));
    const mask = addressValue(t.slice(paren + 1, -1));
    if (!base || !mask || mask.family !== base.family) return undefined;
    const bits = base.family === 4 ? 32 : 128;
    const ones = mask.value.toString(2).padStart(bits, '0');
    const prefix = ones.indexOf('0') < 0 ? bits : ones.indexOf('0');
    if (ones.slice(prefix).includes('1')) return undefined; // not a contiguous mask
    return prefixRange(base.family, base.value, prefix);
  }
  const dash = t.indexOf('-');
  if (dash >= 0) {
    const from = addressValue(t.slice(0, dash));
    const to = addressValue(t.slice(dash + 1));
    if (!from || !to || from.family !== to.family || from.value > to.value) return undefined;
    return { family: from.family, start: from.value, end: to.value };
  }
  const one = addressValue(t);
  return one && { family: one.family, start: one.value, end: one.value };
}

export function checkIpRange(text: string): string | undefined {
  return parseIpRange(text)
    ? undefined
    : `entries must be an IP address, a range (192.168.1.10-192.168.1.20), CIDR (192.168.1.0/24) or address(mask) (got '${text}').`;
}

/**
 * How specifically `ranges` cover `address`: the number of addresses in the smallest entry that
 * contains it (smaller is more specific, as Exchange prefers), or undefined when none does.
 */
export function matchSize(ranges: readonly IpRange[], address: string): bigint | undefined {
  const a = addressValue(address);
  if (!a) return undefined;
  let best: bigint | undefined;
  for (const r of ranges) {
    if (r.family !== a.family || a.value < r.start || a.value > r.end) continue;
    const size = r.end - r.start + 1n;
    if (best === undefined || size < best) best = size;
  }
  return best;
}
