// The SMTP replies Mailroom gives for its own decisions, with RFC 3463 enhanced status codes and
// wording close to Exchange 2013's, so that a bounce or a client error reads the way admins and
// help desks know it. Each reply is thrown or passed as an SmtpReply; the connection hooks send
// the enhanced code in the text as it is (smtp-server would otherwise guess one from the code).

export class SmtpReply extends Error {
  constructor(readonly responseCode: number, readonly enhanced: string, text: string) {
    super(`${enhanced} ${text}`);
    this.name = 'SmtpReply';
  }

  get temporary(): boolean {
    return this.responseCode >= 400 && this.responseCode < 500;
  }
}

/** True when a reply text already starts with an enhanced status code (RFC 3463 §2). */
export function hasEnhancedCode(text: string): boolean {
  return /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/.test(text);
}

export const Replies = {
  // Authentication and submission rules.
  authRequired: () => new SmtpReply(530, '5.7.57', 'SMTP; Client was not authenticated to send anonymous mail during MAIL FROM'),
  tlsRequired: () => new SmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authFailed: () => new SmtpReply(535, '5.7.3', 'Authentication unsuccessful'),
  authUnavailable: () => new SmtpReply(454, '4.7.0', 'Temporary authentication failure'),
  sendAsDenied: (address: string) =>
    new SmtpReply(550, '5.7.60', `SMTP; Client does not have permissions to send as this sender (${address || '<>'})`),
  sendQuotaExceeded: () => new SmtpReply(554, '5.2.2', 'mailbox full, cannot send: the mailbox is over its ProhibitSendQuota; delete items to send again'),
  policyRateLimited: (limit: number, policy: string) =>
    new SmtpReply(450, '4.7.0', `Message submission rate for this user has exceeded the configured limit (MessageRateLimit ${limit} per minute of throttling policy ${policy}); try again later`),
  rateLimited: (limit: number) =>
    new SmtpReply(450, '4.7.0', `Message submission rate for this client has exceeded the configured limit (${limit} per minute); try again later`),

  // Recipients.
  tooManyRecipients: () => new SmtpReply(452, '4.5.3', 'Too many recipients'),
  unknownRecipient: () => new SmtpReply(550, '5.1.1', 'RESOLVER.ADR.RecipNotFound; not found'),
  relayDenied: () => new SmtpReply(550, '5.7.54', 'SMTP; Unable to relay recipient in non-accepted domain'),
  relayUnavailable: () => new SmtpReply(550, '5.7.1', 'Unable to relay: relay not yet available on this server'),
  recipientFull: () => new SmtpReply(452, '4.2.2', 'The recipient\'s mailbox is full (ProhibitSendReceiveQuota); try again later'),
  /** The recipient's mailbox database is dismounted, or its server cannot take it now (the mailbox locator). */
  senderUnavailable: (database: string) => new SmtpReply(451, '4.4.0', `Your mailbox database ${database} is not available now; try again later`),
  recipientUnavailable: (database: string) => new SmtpReply(451, '4.4.0', `The recipient's mailbox database ${database} is not available now; try again later`),

  // Message content.
  tooBig: (limit: number) => new SmtpReply(552, '5.3.4', `Message size exceeds fixed maximum message size (${limit} bytes)`),
  headerTooBig: (limit: number) => new SmtpReply(552, '5.3.4', `Header size exceeds fixed maximum size (${limit} bytes)`),
  bareLineBreak: () =>
    new SmtpReply(550, '5.6.11', 'Message refused: bare CR or LF in the message data; lines must end in CRLF (RFC 5321 §2.3.8)'),
  hopCount: (count: number, max: number) => new SmtpReply(554, '5.4.6', `Hop count exceeded - possible mail loop (${count} Received headers, limit ${max})`),
  localHopCount: (count: number, max: number) => new SmtpReply(554, '5.4.6', `Hop count exceeded - possible mail loop through this server (${count} of its own Received headers, limit ${max})`),
  dmarcReject: (domain: string) =>
    new SmtpReply(550, '5.7.1', `Message rejected: DMARC policy of ${domain} says reject and the message failed authentication`),
  noConnectorForClient: (address: string) =>
    new SmtpReply(554, '5.7.1', `Connection from ${address || 'this address'} refused: no receive connector here accepts clients from it (RemoteIPRanges)`),
  unauthenticatedInternalSender: (address: string) =>
    new SmtpReply(550, '5.7.1', `Client does not have permissions to send as this sender (${address}): mail from an accepted domain must be authenticated (submit on port 587) or pass SPF, DKIM or DMARC`),
  fromNotAllowed: (address: string) =>
    new SmtpReply(550, '5.7.60', `SMTP; Client does not have permissions to send as this sender (From: ${address || 'missing'})`),
  noFrom: () => new SmtpReply(550, '5.7.60', 'SMTP; Client does not have permissions to send as this sender (the message has no From address)'),
  deliveryFull: () => new SmtpReply(452, '4.2.2', 'Mailbox full: a recipient\'s mailbox has no room for this message; nothing was delivered, try again later'),
  deliveryFailed: () => new SmtpReply(451, '4.3.0', 'Local delivery failed; nothing was delivered, try again later'),
  queueFailed: () => new SmtpReply(451, '4.3.0', 'The message could not be queued; try again later'),
  binaryNotRelayed: () =>
    new SmtpReply(554, '5.6.3', 'BINARYMIME content cannot be relayed to a remote recipient; send it with BODY=8BITMIME'),

  // CHUNKING (RFC 3030).
  bdatSyntax: () => new SmtpReply(501, '5.5.4', 'Syntax: BDAT <chunk-size> [LAST]'),
  bdatNoTransaction: () => new SmtpReply(503, '5.5.1', 'BDAT without a valid MAIL FROM and RCPT TO; the chunk was discarded'),
  bdatAfterFailure: () => new SmtpReply(503, '5.5.1', 'An earlier chunk of this message was refused; send RSET and start again'),
  chunkReceived: (octets: number) => new SmtpReply(250, '2.0.0', `${octets} octets received`),
  dataAfterBdat: () => new SmtpReply(503, '5.5.1', 'DATA cannot follow BDAT in one message'),
  binaryNeedsBdat: () => new SmtpReply(503, '5.5.1', 'BODY=BINARYMIME requires BDAT, not DATA (RFC 3030 §3)'),
  chunkingDisabled: () => new SmtpReply(500, '5.3.3', 'Unrecognized command'),

  // Connection.
  tooManyConnections: () => new SmtpReply(421, '4.3.2', 'The maximum number of concurrent connections has exceeded a limit, closing transmission channel'),
  tooManyErrors: () => new SmtpReply(421, '4.7.0', 'Too many errors on this connection, closing transmission channel'),
  sessionTimeout: () => new SmtpReply(421, '4.4.1', 'Connection timed out (ConnectionTimeout), closing transmission channel'),
  shuttingDown: () => new SmtpReply(421, '4.3.2', 'Service not available, closing transmission channel'),
  // Set-ServerComponentState FrontendTransport or HubTransport not Active: a sending server
  // queues and retries; Exchange answers a draining server the same way.
  componentOffline: (component: string) => new SmtpReply(421, '4.3.2', `Service not available, closing transmission channel (${component} is offline for maintenance)`),
} as const;
