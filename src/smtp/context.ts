// What the SMTP sessions of every connector share: the directory, logon, local delivery, the
// outbound queue and inbound authentication checks, and per-session state.
import type { Authenticator } from '../auth/authenticator.ts';
import type { EffectiveComponentStates } from '../config/server-components.ts';
import type { ThrottlingDirectory } from '../config/throttling-policy.ts';
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { Logger } from '../lib/log.ts';
import type { ConnectionHooks } from './connection-hooks.ts';
import type { LocalDelivery } from './delivery.ts';
import type { SessionEndpoints } from './receive-log.ts';
import type { Resolution } from './recipients.ts';
import type { SubmissionRate } from './submission-policy.ts';

/** What smtp-server keeps as `session.user` after a successful AUTH. */
export interface AuthenticatedUser {
  /** smtp-server logs this field. */
  username: string;
  /** The mailbox user who authenticated: the one whose SendAs rights and quota count. */
  user: Mailbox;
}

/** One remote recipient handed to the outbound queue. */
export interface QueuedRecipient {
  address: string;
  /** RFC 3461 NOTIFY values, upper case. */
  notify?: string[];
  orcpt?: string;
}

export interface QueueSubmission {
  sender: string;
  recipients: QueuedRecipient[];
  message: Buffer;
  /** RFC 3461 RET and ENVID of the submission. */
  ret?: string | null;
  envid?: string | null;
}

/** A local recipient whose copy failed after others were stored, with its RFC 3461 parameters. */
export interface LocalFailure {
  address: string;
  detail: string;
  notify?: string[];
  orcpt?: string;
}

/** The outbound queue as SMTP sessions use it: durable when enqueue() resolves. */
export interface OutboundQueue {
  enqueue(submission: QueueSubmission): Promise<string>;
  /** Sends a delivery status notification for local recipients that failed after the message was accepted. */
  bounceLocal(sender: string, failures: LocalFailure[], original: Buffer, envelope: { ret?: string | null; envid?: string | null }): Promise<void>;
  /**
   * Told of the local recipients whose copy is committed; sends the sender an RFC 3464
   * "delivered" report for those whose NOTIFY includes SUCCESS (none for the null sender).
   */
  reportDelivered(sender: string, recipients: QueuedRecipient[], original: Buffer, envelope: { ret?: string | null; envid?: string | null }): Promise<void>;
}

export interface InboundVerdict {
  /** Fields to prepend (Authentication-Results, Received-SPF, ARC set), each ending in CRLF. */
  headers: string;
  /** Reject with this reply, deliver to Junk Email, or deliver normally. */
  action: { kind: 'deliver' } | { kind: 'junk' } | { kind: 'reject'; domain: string };
  /** The message with forged Authentication-Results removed, when there were any. */
  message?: Buffer;
  /** Domains SPF (envelope sender), DKIM (d=) or DMARC (From) passed for, lower case. */
  authenticatedDomains: string[];
}

/** SPF, DKIM, DMARC and ARC for mail arriving from the Internet (connectors with AnonymousUsers). */
export interface InboundChecker {
  check(input: {
    message: Buffer;
    clientAddress: string;
    helo: string;
    sender: string;
    receiver: string;
    rejectAction: 'Reject' | 'Junk' | 'Accept';
  }): Promise<InboundVerdict>;
  /** Stops what the checks run on (a worker thread), when the service stops. */
  close?(): Promise<void>;
}

/** Rewrites a message for one local recipient (calendar parts for POP3/IMAP4 users). */
export type RecipientRewriter = (message: Buffer, mailbox: Mailbox) => Buffer | Promise<Buffer>;

export interface SmtpContext {
  directory: Directory;
  authenticator: Authenticator;
  log: Logger;
  delivery: LocalDelivery;
  rate: SubmissionRate;
  /** Set-ServerComponentState of this server, as the last configuration snapshot had it. */
  componentStates(): EffectiveComponentStates;
  /** Throttling policies (MessageRateLimit per user), as the last configuration snapshot had them. */
  throttling(): ThrottlingDirectory;
  inbound?: InboundChecker;
  outbound?: OutboundQueue;
  rewriteForRecipient?: RecipientRewriter;
}

export interface SessionState {
  hooks: ConnectionHooks;
  /** Endpoints and line counter for the receive protocol log. */
  endpoints: SessionEndpoints;
  /** Resolved recipients of the current transaction, keyed by lower-cased address. */
  recipients: Map<string, Resolution>;
  /** Base of session.disabledCommands, before the per-session AUTH rule. */
  disabledCommands: string[];
}
