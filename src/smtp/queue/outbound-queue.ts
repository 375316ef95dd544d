// The outbound queue at work: messages for remote recipients are signed (DKIM), stored durably,
// and delivered by a runner that wakes every second (and at once after each new message). A
// temporary failure is retried with growing pauses; a permanent one, or a message still queued
// after MessageExpirationTimeout (2 days, as Exchange's default), ends in a delivery status
// notification to the sender. Admin commands from other processes (Retry-Queue, Remove-Message)
// change the same queue file and the runner picks their changes up at its next look.
import type { Directory } from '../../directory/directory.ts';
import type { Logger } from '../../lib/log.ts';
import type { OutboundQueue, QueueSubmission } from '../context.ts';
import type { LocalDelivery } from '../delivery.ts';
import { dkimSignMessage } from '../dkim/dkim-signer.ts';
import type { DnsResolver } from '../dns.ts';
import { headerValue } from '../../mime/index.ts';
import { readHeader } from '../message-checks.ts';
import { asciiDomain, resolveRecipient, splitAddress } from '../recipients.ts';
import { newMessageId, returnPathHeader } from '../trace-headers.ts';
import { buildDsn, type DsnFailure } from './dsn.ts';
import { QueueStore, type DueGroup, type QueuedMessage } from './queue-store.ts';
import { deliverRemote, type RecipientOutcome } from './remote-delivery.ts';
import { routeFor, RoutingError } from './routing.ts';
import { sendConnectors } from './send-connectors.ts';

const MINUTE = 60_000;

/** Pauses after the 1st, 2nd, … temporary failure; the last one repeats until expiry. */
export const DEFAULT_RETRY_SCHEDULE_MS = [1, 2, 5, 10, 15].map((m) => m * MINUTE);
export const DEFAULT_EXPIRATION_MS = 2 * 24 * 60 * MINUTE;

export interface OutboundQueueOptions {
  dataFolder: string;
  directory: Directory;
  resolver: DnsResolver;
  delivery: LocalDelivery;
  log: Logger;
  /** This server's name: EHLO, Reporting-MTA, Message-IDs of reports. */
  fqdn: () => string;
  retryScheduleMs?: readonly number[];
  expirationMs?: number;
  pollMs?: number;
  /** Deliveries running at once. */
  concurrency?: number;
  now?: () => number;
}

export class OutboundQueueRunner implements OutboundQueue {
  private timer: NodeJS.Timeout | undefined;
  private readonly active = new Map<string, Promise<void>>();
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly now: () => number;
  /** Reports that could not be sent (the sender's mailbox full, say): when to try again. */
  private readonly notifyRetryAt = new Map<string, number>();

  private constructor(
    readonly store: QueueStore,
    private readonly options: OutboundQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  static async open(options: OutboundQueueOptions): Promise<OutboundQueueRunner> {
    const runner = new OutboundQueueRunner(await QueueStore.open(options.dataFolder), options);
    runner.timer = setInterval(() => runner.kick(), options.pollMs ?? 1000);
    runner.timer.unref();
    runner.kick();
    return runner;
  }

  async enqueue(submission: QueueSubmission): Promise<string> {
    const { directory, log } = this.options;
    let message = submission.message;
    try {
      message = await dkimSignMessage(directory, message, submission.sender);
    } catch (err) {
      // A broken key must not stop mail; it leaves unsigned and the log says why.
      log.error({ err }, 'smtp: DKIM signing failed; the message is sent unsigned');
    }
    const header = readHeader(message);
    const id = newMessageId();
    const received = this.now();
    await this.store.enqueue({
      id, sender: submission.sender, message, receivedAt: received, expiresAt: received + (this.options.expirationMs ?? DEFAULT_EXPIRATION_MS),
      subject: headerValue(message, header.fields, 'subject') ?? '',
      messageId: headerValue(message, header.fields, 'message-id') ?? '',
      ret: submission.ret ?? null, envid: submission.envid ?? null,
      recipients: submission.recipients.map((r) => ({
        address: r.address, domain: asciiDomain(splitAddress(r.address).domain),
        ...(r.notify ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}),
      })),
    });
    this.kick();
    return id;
  }

  async bounceLocal(sender: string, failures: { address: string; detail: string }[], original: Buffer): Promise<void> {
    await this.notify(sender, failures.map((f) => ({ address: f.address, diagnostic: `550 5.2.2 ${f.detail}` })), original, null, null, new Date(this.now()));
  }

  /** Looks for due work now (or right after the current look). */
  kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch((err: unknown) => this.options.log.error({ err }, 'smtp: queue run failed'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async poll(): Promise<void> {
    const limit = this.options.concurrency ?? 20;
    const due = await this.store.due(this.now(), limit * 2);
    for (const group of due) {
      const key = `${group.messageId} ${group.domain}`;
      if (this.active.has(key) || this.active.size >= limit) continue;
      const run = this.attempt(group)
        .catch((err: unknown) => this.options.log.error({ err, message: group.messageId, domain: group.domain }, 'smtp: delivery attempt failed'))
        .finally(() => {
          this.active.delete(key);
          this.kick();
        });
      this.active.set(key, run);
    }
    await this.sendNotifications();
  }

  private async attempt(group: DueGroup): Promise<void> {
    const message = await this.store.message(group.messageId);
    if (!message) return;
    const addresses = group.recipients.map((r) => r.address);
    if (this.now() >= message.expiresAt) {
      await this.expire(message, addresses, group.recipients[0]?.lastError ?? 'no attempt succeeded');
      return;
    }
    let outcomes: RecipientOutcome[];
    try {
      const route = await routeFor(group.domain, await sendConnectors(this.options.directory), this.options.resolver);
      outcomes = await deliverRemote(route, message.message, {
        sender: message.sender, ret: message.ret, envid: message.envid,
        recipients: group.recipients.map((r) => ({ address: r.address, notify: r.notify })),
      }, this.options.fqdn());
    } catch (err) {
      const permanent = err instanceof RoutingError && err.permanent;
      const text = `${permanent ? '550 5.4.4' : '451 4.4.0'} ${err instanceof Error ? err.message : String(err)}`;
      outcomes = addresses.map((address) => ({ address, kind: permanent ? 'permanent' : 'temporary', response: text }));
    }
    await this.record(message, group, outcomes);
  }

  private async record(message: QueuedMessage, group: DueGroup, outcomes: RecipientOutcome[]): Promise<void> {
    const { log } = this.options;
    const byKind = (kind: RecipientOutcome['kind']) => outcomes.filter((o) => o.kind === kind);
    const delivered = byKind('delivered');
    if (delivered.length > 0) {
      await this.store.setStatus(message.id, delivered.map((o) => o.address), { status: 'delivered', error: null, countAttempt: true });
      log.info({ id: message.id, recipients: delivered.map((o) => o.address), remote: delivered[0]?.remoteMta }, 'smtp: delivered to remote server');
    }
    for (const o of byKind('permanent')) {
      const r = group.recipients.find((x) => x.address === o.address);
      await this.store.setStatus(message.id, [o.address], {
        status: 'failed', error: o.response, ...(o.remoteMta ? { remoteMta: o.remoteMta } : {}), countAttempt: true,
        notified: !this.wantsFailureNotice(message, r?.notify ?? null),
      });
      log.info({ id: message.id, recipient: o.address, response: o.response }, 'smtp: remote delivery failed permanently');
    }
    const temporary = byKind('temporary');
    if (temporary.length > 0) {
      const attempts = (group.recipients[0]?.attempts ?? 0) + 1;
      const schedule = this.options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
      const next = this.now() + (schedule[Math.min(attempts - 1, schedule.length - 1)] ?? 15 * MINUTE);
      if (next >= message.expiresAt) {
        await this.expire(message, temporary.map((o) => o.address), temporary[0]!.response);
      } else {
        for (const o of temporary) {
          await this.store.setStatus(message.id, [o.address], { status: 'retry', error: o.response, ...(o.remoteMta ? { remoteMta: o.remoteMta } : {}), nextAttemptAt: next, countAttempt: true });
        }
        log.info({ id: message.id, recipients: temporary.map((o) => o.address), response: temporary[0]!.response, next: new Date(next).toISOString() }, 'smtp: remote delivery deferred');
      }
    }
    await this.store.removeIfFinished(message.id);
  }

  private async expire(message: QueuedMessage, addresses: string[], lastError: string): Promise<void> {
    const recipients = await this.store.recipients(message.id);
    for (const address of addresses) {
      const r = recipients.find((x) => x.address === address);
      await this.store.setStatus(message.id, [address], {
        status: 'failed', error: `550 4.4.7 QUEUE.Expired; the message stayed queued too long; last error: ${lastError}`, notified: !this.wantsFailureNotice(message, r?.notify ?? null),
      });
    }
    await this.store.removeIfFinished(message.id);
  }

  /** RFC 3461 §4.1: NOTIFY=NEVER, or a notice about a notice (null sender), gets none. */
  private wantsFailureNotice(message: QueuedMessage, notify: string[] | null): boolean {
    if (message.sender === '') return false;
    return notify === null || notify.includes('FAILURE');
  }

  private async sendNotifications(): Promise<void> {
    for (const [id, failed] of await this.store.unnotifiedFailures()) {
      if ((this.notifyRetryAt.get(id) ?? 0) > this.now()) continue;
      const message = await this.store.message(id);
      if (!message) continue;
      const failures: DsnFailure[] = failed.map((r) => ({
        address: r.address, diagnostic: r.lastError ?? '550 5.0.0 Delivery failed', orcpt: r.orcpt, ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}),
        ...(r.lastError?.includes('4.4.7') ? { status: '4.4.7' } : {}),
      }));
      try {
        if (message.sender !== '') await this.notify(message.sender, failures, message.message, message.ret, message.envid, new Date(message.receivedAt));
      } catch (err) {
        this.options.log.error({ err, id }, 'smtp: could not send the delivery status notification; trying again in a minute');
        this.notifyRetryAt.set(id, this.now() + MINUTE);
        continue;
      }
      this.notifyRetryAt.delete(id);
      await this.store.setStatus(id, failed.map((r) => r.address), { status: 'failed', notified: true });
      await this.store.removeIfFinished(id);
    }
  }

  private async postmaster(): Promise<string> {
    const transport = await this.options.directory.settings('TransportConfig');
    const configured = transport.ExternalPostmasterAddress;
    return typeof configured === 'string' && configured !== '' ? configured : `postmaster@${await this.options.directory.defaultDomain()}`;
  }

  /** Builds a DSN and sends it from the null sender: into the local mailbox, or through the queue. */
  private async notify(sender: string, failures: DsnFailure[], original: Buffer, ret: string | null, envid: string | null, arrival: Date): Promise<void> {
    const report = buildDsn({
      reportingMta: this.options.fqdn(), postmaster: await this.postmaster(), recipient: sender, failures, original, ret, envid, arrivalDate: arrival,
      now: new Date(this.now()),
    });
    const target = await resolveRecipient(this.options.directory, sender);
    if (target.kind === 'local') {
      const [result] = await this.options.delivery.deliver([{ address: sender, mailbox: target.mailbox, message: Buffer.concat([Buffer.from(returnPathHeader('')), report]) }]);
      if (!result?.ok) throw new Error(`delivering the report to ${sender} failed: ${result && !result.ok ? result.detail : 'no result'}`);
    } else if (target.kind === 'remote') {
      await this.enqueue({ sender: '', recipients: [{ address: sender }], message: report });
    } else {
      this.options.log.warn({ sender }, 'smtp: the sender of an undeliverable message does not exist; no report sent');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await Promise.all(this.active.values());
    await this.store.close();
  }
}
