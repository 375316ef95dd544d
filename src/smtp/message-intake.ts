// DATA: the message is read (within the size limit), checked, stamped with trace fields and
// authentication results, then delivered to the local recipients and queued for the remote ones.
// The client hears 250 only once every local copy is committed and the queue entry is durable.
//
// SMTP has one reply for the whole message after DATA (RFC 5321 §4.2.5; per-recipient replies
// exist only in LMTP, RFC 2033 §4.2), so local delivery works like this:
//   1. Before any append, every local recipient's quota is checked with this message's size. If
//      one has no room, nothing is delivered and the client gets 452 4.2.2 (it may retry later).
//   2. Appends run one after another. If the very first one fails, nothing was delivered: 452
//      (quota) or 451 (store failure), and the client retries the whole message.
//   3. If an append fails after others succeeded (a race with another delivery, a store fault),
//      the message is accepted and the sender gets a delivery status notification for the
//      recipients that failed. A 4xx here would make the client resend to everyone and the
//      recipients who already have the message would get it twice.
// Remote recipients are queued after the local copies are stored. Should queueing fail then (a
// full disk), the client gets 451 and its retry may leave a second local copy: a duplicate
// rather than a lost message.
import type { Readable } from 'node:stream';
import type { SMTPServerSession } from 'smtp-server';
import type { ConnectorConfig } from './connector-config.ts';
import type { LocalFailure, QueuedRecipient, SmtpContext } from './context.ts';
import type { DeliveryFolder, DeliveryItem } from './delivery.ts';
import { headerValue } from '../mime/index.ts';
import { countLocalReceived, countReceived, hasBareLineBreak, hasField, headerLength, originatorAddresses, readHeader } from './message-checks.ts';
import { Replies } from './replies.ts';
import { splitAddress, type Resolution } from './recipients.ts';
import { authenticatedUser, policyRateKey, rateKey, type SessionHandlers } from './session-handlers.ts';
import { effectiveThrottling } from '../config/throttling-policy.ts';
import { maySendAs } from './submission-policy.ts';
import { dateHeader, newMessageId, newMsgId, receivedHeader, returnPathHeader, withProtocol } from './trace-headers.ts';

/** Reads the whole DATA stream; past `limit` bytes it keeps draining but stops keeping them. */
export async function readMessage(stream: Readable & { sizeExceeded?: boolean }, limit: number): Promise<{ data: Buffer; exceeded: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let exceeded = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) exceeded = true;
    if (!exceeded) chunks.push(chunk);
  }
  return { data: exceeded ? Buffer.alloc(0) : Buffer.concat(chunks, size), exceeded: exceeded || stream.sizeExceeded === true };
}

export class MessageIntake {
  constructor(
    private readonly ctx: SmtpContext,
    private readonly handlers: SessionHandlers,
    private readonly config: () => ConnectorConfig,
  ) {}

  /** Handles DATA; resolves with the 250 text, rejects with an SmtpReply. */
  async receive(stream: Readable & { sizeExceeded?: boolean }, session: SMTPServerSession): Promise<string> {
    const config = this.config();
    const state = this.handlers.state(session);
    const recipients = session.envelope.rcptTo
      .map((r) => ({ rcpt: r, resolution: state.recipients.get(r.address.toLowerCase()) }))
      .filter((r): r is { rcpt: typeof r.rcpt; resolution: Resolution } => r.resolution !== undefined);
    const local = recipients.filter((r) => r.resolution.kind === 'local');
    const remote = recipients.filter((r) => r.resolution.kind === 'remote');
    // MaxReceiveSize applies to every message for a local mailbox, whichever connector it came in on.
    const limit = local.length > 0 ? Math.min(config.maxMessageSize, config.maxReceiveSize) : config.maxMessageSize;
    const { data, exceeded } = await readMessage(stream, limit);
    if (exceeded) throw Replies.tooBig(limit);
    // BINARYMIME bodies may hold any octet (RFC 3030 §3); their header section still may not.
    // Such mail is only delivered locally (remote recipients were refused at RCPT), so no relay
    // downstream can read a smuggled end of data into it.
    const binary = session.envelope.bodyType === 'binarymime';
    if (hasBareLineBreak(binary ? data.subarray(0, headerLength(data)) : data)) throw Replies.bareLineBreak();
    const header = readHeader(data);
    if (header.size > config.maxHeaderSize) throw Replies.headerTooBig(config.maxHeaderSize);
    const hops = countReceived(header);
    if (hops >= config.maxHopCount) throw Replies.hopCount(hops + 1, config.maxHopCount);
    const localHops = countLocalReceived(data, header, new Set([config.fqdn.toLowerCase()]));
    if (localHops >= config.maxLocalHopCount) throw Replies.localHopCount(localHops + 1, config.maxLocalHopCount);

    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const user = authenticatedUser(session);
    if (user) {
      const { from, sender } = originatorAddresses(data, header);
      if (from.length === 0) throw Replies.noFrom();
      for (const address of [...from, ...sender]) {
        if (!(await maySendAs(this.ctx.directory, user.user, address))) throw Replies.fromNotAllowed(address);
      }
    }

    const id = newMessageId();
    let body = data;
    let prefix = '';
    let folder: DeliveryFolder = 'inbox';
    if (!user && config.anonymous && this.ctx.inbound) {
      const verdict = await this.ctx.inbound.check({
        message: data, clientAddress: session.remoteAddress, helo: session.hostNameAppearsAs || '', sender: mailFrom,
        receiver: config.fqdn, rejectAction: config.dmarcRejectAction,
      });
      if (verdict.action.kind === 'reject') throw Replies.dmarcReject(verdict.action.domain);
      if (config.rejectUnauthenticatedInternalSenders) {
        const spoofed = await this.unvouchedInternalSender(mailFrom, originatorAddresses(data, header), verdict.authenticatedDomains);
        if (spoofed) throw Replies.unauthenticatedInternalSender(spoofed);
      }
      if (verdict.action.kind === 'junk') folder = 'junk';
      if (verdict.message) body = verdict.message;
      prefix += verdict.headers;
    }
    const tls = session.tlsOptions ? { version: session.tlsOptions.version ?? session.tlsOptions.standardName, cipher: session.tlsOptions.name } : undefined;
    prefix = receivedHeader({
      helo: session.hostNameAppearsAs || '', clientAddress: session.remoteAddress, by: config.fqdn,
      protocol: withProtocol({ ehlo: session.openingCommand === 'EHLO', tls: session.secure, authenticated: !!user, utf8: session.envelope.smtpUtf8 === true }),
      ...(tls ? { tls } : {}), ...(user ? { authenticatedAs: user.user.userPrincipalName } : {}),
      id, ...(recipients.length === 1 ? { recipient: recipients[0]!.rcpt.address } : {}),
    }) + prefix;
    // RFC 6409 §8.3/§8.4: a submission server may add a missing Message-ID and Date.
    let msgId = headerValue(data, header.fields, 'message-id')?.trim() ?? '';
    if (user && msgId === '') {
      msgId = newMsgId(config.fqdn);
      prefix += `Message-ID: ${msgId}\r\n`;
    }
    if (user && !hasField(header, 'date')) prefix += dateHeader();
    const stamped = Buffer.concat([Buffer.from(prefix, 'utf8'), body]);

    const deliveredLocal = await this.deliverLocal(local.map((r) => ({ rcpt: r.rcpt, resolution: r.resolution })), stamped, mailFrom, folder, session);
    if (remote.length > 0) {
      const outbound = this.ctx.outbound;
      if (!outbound) throw Replies.relayUnavailable();
      const queued: QueuedRecipient[] = remote.map((r) => ({
        address: r.rcpt.address,
        ...(r.rcpt.dsn?.notify ? { notify: r.rcpt.dsn.notify } : {}),
        ...(r.rcpt.dsn?.orcpt ? { orcpt: r.rcpt.dsn.orcpt } : {}),
      }));
      try {
        await outbound.enqueue({ sender: mailFrom, recipients: queued, message: stamped, ret: session.envelope.dsn?.ret ?? null, envid: session.envelope.dsn?.envid ?? null });
      } catch (err) {
        this.ctx.log.error({ err, id }, 'smtp: queueing failed');
        throw Replies.queueFailed();
      }
    }
    await this.reportDelivered(session, local.filter((r) => deliveredLocal.includes(r.rcpt.address)).map((r) => r.rcpt), stamped, mailFrom);
    // Only counted where a MessageRateLimit applies: the Internet connector's is unlimited, and a
    // minute of mail from one busy sender would be a list of tens of thousands of times.
    if (Number.isFinite(config.messageRateLimit)) this.ctx.rate.record(rateKey(session));
    if (user && effectiveThrottling(this.ctx.throttling(), user.user.id).values.MessageRateLimit !== 'unlimited') this.ctx.rate.record(policyRateKey(user));
    this.ctx.log.info({ id, sender: mailFrom, local: local.length, remote: remote.length, size: stamped.length, user: user?.username }, 'smtp: message accepted');
    return `2.6.0 ${/^<[^<>\s]{1,250}>$/.test(msgId) ? msgId : `<${id}@${config.fqdn}>`} [InternalId=${id}] Queued mail for delivery`;
  }

  /**
   * RejectUnauthenticatedInternalSenders: the first address of MAIL FROM, From and Sender that is
   * in an accepted domain although no SPF, DKIM or DMARC result vouches for that domain (or for a
   * parent or child of it, as DMARC's relaxed alignment allows). Without it anyone on the Internet
   * could write to bob as alice; an organization's own server relaying through port 25 passes SPF.
   */
  private async unvouchedInternalSender(mailFrom: string, originators: { from: string[]; sender: string[] }, vouched: readonly string[]): Promise<string | undefined> {
    const covered = (domain: string) => vouched.some((v) => v === domain || domain.endsWith(`.${v}`) || v.endsWith(`.${domain}`));
    for (const address of [mailFrom, ...originators.from, ...originators.sender]) {
      const domain = splitAddress(address).domain.toLowerCase();
      if (domain === '' || covered(domain)) continue;
      if (await this.ctx.directory.isAcceptedDomain(domain)) return address;
    }
    return undefined;
  }

  /** RFC 3461 NOTIFY=SUCCESS for local recipients: the sender gets a "delivered" report once the copies are committed. */
  private async reportDelivered(session: SMTPServerSession, delivered: SMTPServerSession['envelope']['rcptTo'], stamped: Buffer, sender: string): Promise<void> {
    const asked = delivered.filter((r) => r.dsn?.notify?.includes('SUCCESS'));
    if (asked.length === 0 || sender === '' || !this.ctx.outbound) return;
    const recipients: QueuedRecipient[] = asked.map((r) => ({ address: r.address, notify: r.dsn!.notify!, ...(r.dsn?.orcpt ? { orcpt: r.dsn.orcpt } : {}) }));
    await this.ctx.outbound.reportDelivered(sender, recipients, stamped, { ret: session.envelope.dsn?.ret ?? null, envid: session.envelope.dsn?.envid ?? null })
      .catch((err: unknown) => this.ctx.log.error({ err }, 'smtp: delivery notification failed'));
  }

  /** Stores the local copies; resolves with the addresses whose copy is committed. */
  private async deliverLocal(
    recipients: { rcpt: SMTPServerSession['envelope']['rcptTo'][number]; resolution: Resolution }[], stamped: Buffer, sender: string,
    folder: DeliveryFolder, session: SMTPServerSession,
  ): Promise<string[]> {
    if (recipients.length === 0) return [];
    const items: DeliveryItem[] = [];
    // Addresses of one mailbox (bob@ and his alias robert@ on one message) get one copy, as
    // Exchange's categorizer gives them: the others share the first one's result.
    const sameMailbox = new Map<string, string[]>();
    for (const { rcpt, resolution } of recipients) {
      const r = { address: rcpt.address, resolution };
      if (r.resolution.kind !== 'local') continue;
      const mailbox = r.resolution.mailbox;
      const first = items.find((i) => i.mailbox.id === mailbox.id);
      if (first) {
        sameMailbox.set(first.address, [...(sameMailbox.get(first.address) ?? []), r.address]);
        continue;
      }
      const body = this.ctx.rewriteForRecipient ? await this.ctx.rewriteForRecipient(stamped, mailbox) : stamped;
      // RFC 5321 §4.4: the delivering server records the envelope sender in Return-Path.
      const message = Buffer.concat([Buffer.from(returnPathHeader(sender), 'utf8'), body]);
      items.push({ address: r.address, mailbox, message, folder });
    }
    // Step 1: room for this message in every mailbox, before anything is stored. With a single
    // recipient the append's own quota check (in its transaction) gives the same 452.
    if (items.length > 1) for (const item of items) {
      const quota = await this.ctx.delivery.quota(item.mailbox);
      if (quota.prohibitSendReceive !== 'unlimited' && quota.usage + item.message.length > quota.prohibitSendReceive) throw Replies.deliveryFull();
    }
    const results = (await this.ctx.delivery.deliver(items))
      .flatMap((r) => [r, ...(sameMailbox.get(r.address) ?? []).map((address) => ({ ...r, address }))]);
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) return results.map((r) => r.address);
    const delivered = results.length - failed.length;
    if (delivered === 0) throw failed[0]!.ok === false && failed[0]!.reason === 'quota' ? Replies.deliveryFull() : Replies.deliveryFailed();
    // Step 3: accepted for some, so the others get a notification instead of a retry for all.
    const failures: LocalFailure[] = failed.map((r) => {
      const dsn = recipients.find((x) => x.rcpt.address === r.address)?.rcpt.dsn;
      return { address: r.address, detail: r.ok ? '' : r.detail, ...(dsn?.notify ? { notify: dsn.notify } : {}), ...(dsn?.orcpt ? { orcpt: dsn.orcpt } : {}) };
    });
    this.ctx.log.warn({ failures }, 'smtp: local delivery failed for some recipients after others succeeded');
    const envelope = { ret: session.envelope.dsn?.ret ?? null, envid: session.envelope.dsn?.envid ?? null };
    if (this.ctx.outbound && sender !== '') await this.ctx.outbound.bounceLocal(sender, failures, stamped, envelope).catch((err: unknown) => this.ctx.log.error({ err }, 'smtp: bounce failed'));
    return results.filter((r) => r.ok).map((r) => r.address);
  }
}
