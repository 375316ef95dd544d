// The outbound queue at work: messages for remote recipients are signed (DKIM), stored durably,
// and delivered by a runner that wakes every second (and at once after each new message). A
// temporary failure is retried with growing pauses; a permanent one, or a message still queued
// after MessageExpirationTimeout (2 days, as Exchange's default), ends in a delivery status
// notification to the sender. The sender also hears, as RFC 3461 NOTIFY asks (absent NOTIFY
// means FAILURE,DELAY, as in Exchange): once per recipient that a message is delayed, after
// DelayNotificationTimeout (Set-TransportConfig, 4 hours); that it was relayed to a server
// without DSN, for NOTIFY=SUCCESS (a server with DSN gets NOTIFY passed on and reports itself);
// and that it was delivered into a mailbox here (reportDelivered). Admin commands from other
// processes (Retry-Queue, Remove-Message) change the same queue file and the runner picks their
// changes up at its next look.
import type { Directory } from '../../directory/directory.ts';
import type { Logger } from '../../lib/log.ts';
import type { LocalFailure, OutboundQueue, QueuedRecipient, QueueSubmission } from '../context.ts';
import type { LocalDelivery } from '../delivery.ts';
import { dkimSignMessage } from '../dkim/dkim-signer.ts';
import type { DnsResolver } from '../dns.ts';
import { headerValue } from '../../mime/index.ts';
import { readHeader } from '../message-checks.ts';
import { asciiDomain, resolveRecipient, splitAddress } from '../recipients.ts';
import { newMessageId, returnPathHeader } from '../trace-headers.ts';
import { buildDsn, type DsnRecipient } from './dsn.ts';
import { QueueStore, type DueGroup, type QueuedMessage, type QueueRecipient } from './queue-store.ts';
import { deliverRemote, type RecipientOutcome } from './remote-delivery.ts';
import { routeFor, RoutingError } from './routing.ts';
import { sendConnectors } from './send-connectors.ts';

const MINUTE = 60_000;

/** Pauses after the 1st, 2nd, … temporary failure; the last one repeats until expiry. */
export const DEFAULT_RETRY_SCHEDULE_MS = [1, 2, 5, 10, 15].map((m) => m * MINUTE);
export const DEFAULT_EXPIRATION_MS = 2 * 24 * 60 * MINUTE;
/** DelayNotificationTimeout when the transport settings cannot be read. */
export const DEFAULT_DELAY_NOTIFICATION_MS = 4 * 60 * MINUTE;

type NoticeKind = 'FAILURE' | 'DELAY' | 'SUCCESS';

/**
 * RFC 3461 §4.1: whether the sender wants this notice about a recipient. Without NOTIFY the RFC
 * leaves it to the server; like Exchange, Mailroom then reports failures and delays. A notice
 * about a notice (null sender) is never sent.
 */
export function wantsNotice(sender: string, notify: readonly string[] | null | undefined, kind: NoticeKind): boolean {
  if (sender === '') return false;
  if (!notify || notify.length === 0) return kind !== 'SUCCESS';
  return notify.includes(kind);
}

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
  /** While true no delivery is attempted and no report is sent; the messages wait in the queue. */
  held?: () => boolean;
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
  private readonly delayRetryAt = new Map<string, number>();
  /** DelayNotificationTimeout as last read from the transport settings, re-read every second. */
  private delaySetting = { ms: DEFAULT_DELAY_NOTIFICATION_MS, readAt: Number.NEGATIVE_INFINITY };

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

  async bounceLocal(sender: string, failures: LocalFailure[], original: Buffer, envelope: { ret?: string | null; envid?: string | null }): Promise<void> {
    // NOTIFY=NEVER (or a list without FAILURE) asked for no report; ORCPT, RET and ENVID as for
    // any failure report.
    const wanted = failures.filter((f) => wantsNotice(sender, f.notify, 'FAILURE'));
    if (wanted.length === 0) return;
    await this.notify(sender, wanted.map((f) => ({ address: f.address, diagnostic: `550 5.2.2 ${f.detail}`, orcpt: f.orcpt ?? null })), original,
      envelope.ret ?? null, envelope.envid ?? null, new Date(this.now()));
  }

  async reportDelivered(sender: string, recipients: QueuedRecipient[], original: Buffer, envelope: { ret?: string | null; envid?: string | null }): Promise<void> {
    const wanted = recipients.filter((r) => wantsNotice(sender, r.notify, 'SUCCESS'));
    if (wanted.length === 0) return;
    await this.notify(sender, wanted.map((r) => ({ address: r.address, action: 'delivered', orcpt: r.orcpt ?? null })), original, envelope.ret ?? null,
      envelope.envid ?? null, new Date(this.now()));
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
    if (this.options.held?.()) return;
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
    await this.sendDelayNotices();
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
        recipients: group.recipients.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt })),
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
      // RFC 3461: a server that offers DSN was given NOTIFY and reports success itself;
      // for one that does not, the sender who asked for SUCCESS is owed a "relayed" notice.
      const owed = delivered.filter((o) => !o.dsn && wantsNotice(message.sender, group.recipients.find((x) => x.address === o.address)?.notify, 'SUCCESS'));
      for (const [list, notified] of [[delivered.filter((o) => !owed.includes(o)), true], [owed, false]] as const) {
        if (list.length === 0) continue;
        await this.store.setStatus(message.id, list.map((o) => o.address), {
          status: 'delivered', error: null, ...(list[0]?.remoteMta ? { remoteMta: list[0].remoteMta } : {}), countAttempt: true, notified,
        });
      }
      log.info({ id: message.id, recipients: delivered.map((o) => o.address), remote: delivered[0]?.remoteMta }, 'smtp: delivered to remote server');
    }
    for (const o of byKind('permanent')) {
      const r = group.recipients.find((x) => x.address === o.address);
      await this.store.setStatus(message.id, [o.address], {
        status: 'failed', error: o.response, ...(o.remoteMta ? { remoteMta: o.remoteMta } : {}), countAttempt: true,
        notified: !wantsNotice(message.sender, r?.notify, 'FAILURE'),
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
        status: 'failed', error: `550 4.4.7 QUEUE.Expired; the message stayed queued too long; last error: ${lastError}`, notified: !wantsNotice(message.sender, r?.notify, 'FAILURE'),
      });
    }
    await this.store.removeIfFinished(message.id);
  }

  /** Non-delivery reports, and "relayed" notices for NOTIFY=SUCCESS: one report of each kind per message. */
  private async sendNotifications(): Promise<void> {
    for (const [id, owed] of await this.store.unnotified()) {
      if ((this.notifyRetryAt.get(id) ?? 0) > this.now()) continue;
      const message = await this.store.message(id);
      if (!message) continue;
      const failed = owed.filter((r) => r.status === 'failed');
      const relayed = owed.filter((r) => r.status === 'delivered');
      const reports: [QueueRecipient[], DsnRecipient[]][] = [
        [failed, failed.map((r) => ({
          address: r.address, diagnostic: r.lastError ?? '550 5.0.0 Delivery failed', orcpt: r.orcpt, ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}),
          ...(r.lastError?.includes('4.4.7') ? { status: '4.4.7' } : {}),
        }))],
        [relayed, relayed.map((r) => ({ address: r.address, action: 'relayed' as const, orcpt: r.orcpt, ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}) }))],
      ];
      let sent = true;
      for (const [rows, recipients] of reports) {
        if (rows.length === 0) continue;
        try {
          if (message.sender !== '') await this.notify(message.sender, recipients, message.message, message.ret, message.envid, new Date(message.receivedAt));
        } catch (err) {
          this.options.log.error({ err, id }, 'smtp: could not send the delivery status notification; trying again in a minute');
          this.notifyRetryAt.set(id, this.now() + MINUTE);
          sent = false;
          break;
        }
        await this.store.setStatus(id, rows.map((r) => r.address), { status: rows[0]!.status, notified: true });
      }
      if (!sent) continue;
      this.notifyRetryAt.delete(id);
      await this.store.removeIfFinished(id);
    }
  }

  /** DelayNotificationTimeout, from the organization's transport settings. */
  private async delayNotificationMs(): Promise<number> {
    const now = this.now();
    if (now - this.delaySetting.readAt < 1000) return this.delaySetting.ms;
    let ms = this.delaySetting.ms;
    try {
      const value = (await this.options.directory.settings('TransportConfig')).DelayNotificationTimeout;
      if (typeof value === 'number') ms = value * 1000;
    } catch (err) {
      this.options.log.warn({ err }, 'smtp: transport settings not readable; the last DelayNotificationTimeout stays in force');
    }
    this.delaySetting = { ms, readAt: now };
    return ms;
  }

  /**
   * RFC 3461 NOTIFY=DELAY: one "delayed" report per recipient still queued after
   * DelayNotificationTimeout; the queue keeps trying. Whether it was sent is stored, so that a
   * restart does not send it again.
   */
  private async sendDelayNotices(): Promise<void> {
    const now = this.now();
    for (const [id, waiting] of await this.store.delayed(now - (await this.delayNotificationMs()))) {
      if ((this.delayRetryAt.get(id) ?? 0) > now) continue;
      const message = await this.store.message(id);
      if (!message) continue;
      // A delivery attempt under way may end the wait; its recipients are looked at next time.
      const idle = waiting.filter((r) => !this.active.has(`${id} ${r.domain}`));
      const unwanted = idle.filter((r) => !wantsNotice(message.sender, r.notify, 'DELAY'));
      if (unwanted.length > 0) await this.store.setDelayNotified(id, unwanted.map((r) => r.address));
      const wanted = idle.filter((r) => !unwanted.includes(r));
      if (wanted.length === 0) continue;
      const recipients: DsnRecipient[] = wanted.map((r) => ({
        address: r.address, action: 'delayed', diagnostic: r.lastError ?? '400 4.4.7 Message delayed', orcpt: r.orcpt,
        ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}), willRetryUntil: new Date(message.expiresAt),
      }));
      try {
        await this.notify(message.sender, recipients, message.message, message.ret, message.envid, new Date(message.receivedAt));
      } catch (err) {
        this.options.log.error({ err, id }, 'smtp: could not send the delay notification; trying again in a minute');
        this.delayRetryAt.set(id, now + MINUTE);
        continue;
      }
      this.delayRetryAt.delete(id);
      await this.store.setDelayNotified(id, wanted.map((r) => r.address));
      this.options.log.info({ id, recipients: wanted.map((r) => r.address) }, 'smtp: delay notification sent');
    }
  }

  private async postmaster(): Promise<string> {
    const transport = await this.options.directory.settings('TransportConfig');
    const configured = transport.ExternalPostmasterAddress;
    return typeof configured === 'string' && configured !== '' ? configured : `postmaster@${await this.options.directory.defaultDomain()}`;
  }

  /** Builds a DSN and sends it from the null sender: into the local mailbox, or through the queue. */
  private async notify(sender: string, recipients: DsnRecipient[], original: Buffer, ret: string | null, envid: string | null, arrival: Date): Promise<void> {
    const report = buildDsn({
      reportingMta: this.options.fqdn(), postmaster: await this.postmaster(), recipient: sender, recipients, original, ret, envid, arrivalDate: arrival,
      now: new Date(this.now()),
    });
    const target = await resolveRecipient(this.options.directory, sender);
    if (target.kind === 'local') {
      const [result] = await this.options.delivery.deliver([{ address: sender, mailbox: target.mailbox, message: Buffer.concat([Buffer.from(returnPathHeader('')), report]) }]);
      if (!result?.ok) throw new Error(`delivering the report to ${sender} failed: ${result && !result.ok ? result.detail : 'no result'}`);
    } else if (target.kind === 'remote') {
      await this.enqueue({ sender: '', recipients: [{ address: sender }], message: report });
    } else {
      this.options.log.warn({ sender }, 'smtp: the sender of a message with a delivery report due does not exist; no report sent');
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
