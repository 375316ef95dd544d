// mailauth's SPF, DKIM, DMARC and ARC checks, in a worker thread. They were the largest cost of
// an inbound delivery on the thread that answers clients (header canonicalization, a DKIM key
// rebuilt from DNS for every message, RSA verification, the public-suffix lookup); here they
// run on the other core. DNS stays with the main thread's resolver: each lookup is a message
// there and back, so tests and admins keep one resolver for everything.
import { authenticate } from 'mailauth';
import { parentPort } from 'node:worker_threads';

/** What the main thread sends. */
export type AuthRequest =
  | { type: 'check'; id: number; message: Uint8Array; ip: string; helo: string; sender: string; mta: string }
  | { type: 'dns-answer'; id: number; answer?: unknown[]; error?: { message: string; code?: string } };

/** What the worker sends back. */
export type AuthReply =
  | { type: 'ready' }
  | { type: 'dns'; id: number; name: string; rrtype: string }
  | { type: 'result'; id: number; headers: string; dmarc: AuthDmarc | null; passed: string[] }
  | { type: 'failed'; id: number; message: string };

/** The part of mailauth's DMARC result the policy decision needs. */
export interface AuthDmarc {
  result: string | undefined;
  policy: string | undefined;
  domain: string;
}

const port = parentPort!;
const lookups = new Map<number, { resolve: (answer: unknown[]) => void; reject: (err: Error) => void }>();
let nextLookup = 0;

/**
 * Answers (and "no such record" answers) kept for a minute. Mail from one domain comes in runs,
 * and each message asks for the same SPF, DKIM key and DMARC records; the records' own TTLs are
 * almost always longer (node's resolver does not give them to us).
 */
const DNS_CACHE_MS = 60_000;
const cache = new Map<string, { answer: Promise<unknown[]>; until: number }>();

function resolver(name: string, rrtype: string): Promise<unknown[]> {
  const key = `${rrtype} ${name.toLowerCase()}`;
  // Monotonic, so a wall clock stepped back does not keep answers for days.
  const now = performance.now();
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.answer;
  const answer = new Promise<unknown[]>((resolve, reject) => {
    const id = nextLookup++;
    lookups.set(id, { resolve, reject });
    port.postMessage({ type: 'dns', id, name, rrtype } satisfies AuthReply);
  });
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { answer, until: now + DNS_CACHE_MS });
  // Only answers and definite absences are kept: a timeout or a server failure is asked again.
  answer.catch((err: Error & { code?: string }) => {
    if (err.code !== 'ENOTFOUND' && err.code !== 'ENODATA') cache.delete(key);
  });
  return answer;
}

/** The parts of mailauth's result that say which domains a check passed for. */
interface MailauthResult {
  spf?: { domain?: string; status?: { result?: string } } | false;
  dkim?: { results?: { signingDomain?: string; status?: { result?: string } }[] };
  dmarc?: { domain?: string; status?: { result?: string } } | false;
}

/**
 * The domains this message is shown to come from, lower case: the envelope sender's domain when
 * SPF passed, each d= whose DKIM signature verified, the From domain when DMARC passed.
 */
export function passedDomains(result: MailauthResult): string[] {
  const out = new Set<string>();
  if (result.spf && result.spf.status?.result === 'pass' && result.spf.domain) out.add(result.spf.domain.toLowerCase());
  for (const r of result.dkim?.results ?? []) if (r.status?.result === 'pass' && r.signingDomain) out.add(r.signingDomain.toLowerCase());
  if (result.dmarc && result.dmarc.status?.result === 'pass' && result.dmarc.domain) out.add(result.dmarc.domain.toLowerCase());
  return [...out];
}

async function check(request: Extract<AuthRequest, { type: 'check' }>): Promise<AuthReply> {
  try {
    const message = Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength);
    const result = await authenticate(message, {
      ip: request.ip, helo: request.helo, sender: request.sender, mta: request.mta, resolver: resolver as never, disableBimi: true,
    });
    const dmarc = result.dmarc ? { result: result.dmarc.status?.result, policy: result.dmarc.policy ? String(result.dmarc.policy) : undefined, domain: String(result.dmarc.domain ?? '') } : null;
    return { type: 'result', id: request.id, headers: result.headers, dmarc, passed: passedDomains(result as unknown as MailauthResult) };
  } catch (err) {
    return { type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) };
  }
}

port.on('message', (m: AuthRequest) => {
  if (m.type === 'dns-answer') {
    const lookup = lookups.get(m.id);
    lookups.delete(m.id);
    if (!lookup) return;
    if (m.error) lookup.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
    else lookup.resolve(m.answer ?? []);
    return;
  }
  void check(m).then((reply) => port.postMessage(reply));
});

// mailauth is loaded and messages are heard: the main thread starts the checks' clocks now.
port.postMessage({ type: 'ready' } satisfies AuthReply);
