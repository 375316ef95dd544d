// The inbound checks' time limit: a message whose SPF/DKIM/DMARC checks do not finish (here its
// domain's DNS never answers, as a dead or tar-pitting name server does) is delivered with
// temperror and no DMARC policy, the check worker is replaced, and the messages after it are
// checked as usual; checks the old worker had in hand finish on the new one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/lib/log.ts';
import { tableResolver, type DnsResolver } from '../../src/smtp/dns.ts';
import { MailauthChecker } from '../../src/smtp/inbound-auth.ts';
import { message, startSmtpServer, type SmtpTestServer } from './harness.ts';
import { deliverInbound } from './smtp-client.ts';

const LIMIT_MS = 1500;

const table = tableResolver({
  'fabrikam.example TXT': [['v=spf1 ip4:127.0.0.1 -all']],
  '_dmarc.fabrikam.example TXT': [['v=DMARC1; p=none']],
  'slow.example TXT': [['v=spf1 ip4:127.0.0.1 -all']],
  // DMARC reject: were its policy applied without a verdict, the message would be refused.
  '_dmarc.hang.example TXT': [['v=DMARC1; p=reject']],
});

/** Opens when the test says so: the first lookups for slow.example wait for it. */
let openSlow: () => void = () => undefined;
let slowOpen = new Promise<void>((r) => (openSlow = r));

const resolver: DnsResolver = async (name, rrtype) => {
  if (name === 'hang.example') return new Promise<never>(() => undefined); // never answers
  if (name === 'slow.example') await slowOpen;
  return table(name, rrtype);
};

let checker: MailauthChecker;
let s: SmtpTestServer;

before(async () => {
  checker = new MailauthChecker(resolver, silentLogger, { timeLimitMs: LIMIT_MS });
  s = await startSmtpServer({ deps: () => ({ inbound: checker }) });
});
after(async () => {
  await s.stop();
});

const deliver = (from: string, raw: Buffer | string, to?: string) => deliverInbound(s.ports.inbound, from, raw, to);

const authResults = (raw: Buffer) => /Authentication-Results: ([^]*?)\r\n(?! )/.exec(raw.toString())?.[1]?.replace(/\r\n /g, ' ') ?? '';
const lastStored = async () => (await s.messages('bob')).at(-1)!.raw;

test('a message whose checks never finish is delivered with temperror; the worker is replaced; the next one passes', async () => {
  assert.match(await deliver('news@fabrikam.example', message({ from: 'news@fabrikam.example', to: 'bob@contoso.com', subject: 'Before' })), /^250 /);
  assert.match(authResults(await lastStored()), /spf=pass/);
  const firstWorker = checker.thread.workerThreadId;
  assert.notEqual(firstWorker, undefined);

  assert.match(await deliver('alerts@hang.example', message({ from: 'alerts@hang.example', to: 'bob@contoso.com', subject: 'Unverifiable' })), /^250 /);
  const stored = await lastStored();
  assert.match(stored.toString(), /Subject: Unverifiable/);
  const ar = authResults(stored);
  assert.match(ar, /^mail01\.contoso\.com; spf=temperror \(checks took longer than 1\.5 s\) smtp\.mailfrom=alerts@hang\.example; dkim=temperror/);
  assert.match(ar, /dmarc=temperror/);
  assert.equal(checker.thread.replacements, 1);

  assert.match(await deliver('news@fabrikam.example', message({ from: 'news@fabrikam.example', to: 'bob@contoso.com', subject: 'After' })), /^250 /);
  assert.match(authResults(await lastStored()), /spf=pass/);
  assert.notEqual(checker.thread.workerThreadId, firstWorker);
});

test('a check in hand when another runs out of time is sent to the new worker and finishes there', async () => {
  slowOpen = new Promise<void>((r) => (openSlow = r));
  const input = (from: string) => ({
    message: Buffer.from(message({ from, to: 'bob@contoso.com', subject: 'x' })), clientAddress: '127.0.0.1', helo: 'mx.sender.example',
    sender: from, receiver: 'mail01.contoso.com', rejectAction: 'Reject' as const,
  });
  const replacements = checker.thread.replacements;
  const hung = checker.check(input('a@hang.example'));
  // Waits on DNS until the hung check has run out of time and its worker is gone.
  const slow = checker.check(input('b@slow.example'));
  const first = await hung;
  openSlow();
  assert.match(first.headers, /spf=temperror/);
  const second = await slow;
  assert.match(second.headers, /spf=pass/);
  assert.deepEqual(second.action, { kind: 'deliver' });
  assert.equal(checker.thread.replacements, replacements + 1);
});
