// Send connectors (New/Set/Get/Remove-SendConnector) and the outbound queue (Get-Queue,
// Get-Message, Retry-Queue, Suspend-Message, Resume-Message, Remove-Message). The queue
// commands work on this server's queue file in the data folder; the running SMTP service picks
// their changes up within a second.
import { dataFolder } from '../../lib/env.ts';
import { QueueStore, type QueueRecipient } from '../../smtp/queue/queue-store.ts';
import {
  connectorFor,
  newSendConnector,
  removeSendConnector,
  SEND_CONNECTOR_SETTINGS,
  sendConnector,
  sendConnectors,
  setSendConnector,
  type SendConnector,
} from '../../smtp/queue/send-connectors.ts';
import { displaySettings, settingParameters, type Cmdlet, type OutputObject } from '../cmdlet.ts';
import type { ParameterSpec } from '../types.ts';

function showConnector(c: SendConnector): OutputObject {
  const shown = displaySettings(SEND_CONNECTOR_SETTINGS, c.settings);
  if (shown.AuthenticationPassword) shown.AuthenticationPassword = '********';
  return { Identity: c.name, Name: c.name, ...shown };
}

const connectorParameters: ParameterSpec[] = settingParameters(SEND_CONNECTOR_SETTINGS).map((p) =>
  p.name === 'AuthenticationPassword' ? { ...p, kind: 'secret' } : p,
);

async function withQueue<T>(fn: (queue: QueueStore) => Promise<T>): Promise<T> {
  const queue = await QueueStore.open(dataFolder());
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

/**
 * Exchange's -Usage picks the permissions a new connector starts with. Mailroom's send connectors
 * have none: they always talk to the next hop as to a server outside the organization, which is
 * what Internet and Custom give. Internal (Exchange-to-Exchange, sending organization headers and
 * authenticating as an Exchange server) and Partner (Domain Security, mutual TLS) need machinery
 * Mailroom does not have, so they are refused rather than kept and ignored.
 */
export function unsupportedSendConnectorUsage(usage: string | undefined): string | undefined {
  if (usage === 'Internal') {
    return '-Usage Internal is not supported: Mailroom does not relay to Exchange servers as an Exchange server (organization headers, ExchangeServer authentication). Use -Usage Internet or Custom; servers of the same organization receive mail from each other over LMTP (docs/smtp.md).';
  }
  if (usage === 'Partner') {
    return '-Usage Partner is not supported: it needs Exchange\'s Domain Security (mutual TLS with the partner domain), which Mailroom does not offer. Use -Usage Custom with -RequireTLS $true and -TlsAuthLevel DomainValidation.';
  }
  return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Exchange's queue statuses: Retry when the last attempt failed, Suspended, else Ready. */
function queueStatus(recipients: QueueRecipient[]): string {
  if (recipients.every((r) => r.status === 'suspended')) return 'Suspended';
  return recipients.some((r) => r.status === 'retry') ? 'Retry' : 'Ready';
}

/** Message identities are SERVER\id; the bare id is accepted too. */
const messageIdOf = (identity: string) => identity.split('\\').pop()!.trim().toUpperCase();

export const transportQueueCmdlets: Cmdlet[] = [
  {
    name: 'Get-SendConnector',
    synopsis: 'Shows the send connectors: how mail for remote domains leaves (MX lookup or smart hosts).',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'Name of the connector; all when omitted.' }],
    async run(args, ctx) {
      if (args.Identity) return [showConnector(await sendConnector(ctx.directory, String(args.Identity)))];
      return (await sendConnectors(ctx.directory)).map(showConnector);
    },
  },
  {
    name: 'New-SendConnector',
    synopsis: 'Creates a send connector. Without one, remote mail goes straight to the recipient domain\'s MX hosts on port 25.',
    parameters: [
      { name: 'Name', kind: 'string', positional: 0, required: true, help: 'Name of the connector.' },
      { name: 'Usage', kind: 'enum', values: ['Custom', 'Internal', 'Internet', 'Partner'],
        help: 'Custom or Internet: the kind every Mailroom send connector is (mail leaves as to an outside server, without organization headers). Internal and Partner are refused.' },
      { name: 'Internet', kind: 'switch', help: 'The same as -Usage Internet.' },
      ...connectorParameters,
    ],
    examples: [
      'New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces *',
      'New-SendConnector -Name "Via provider" -AddressSpaces * -SmartHosts smtp.provider.example -Port 587 -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationUserName relay@contoso.com -AuthenticationPassword Secret-2026',
    ],
    async run(args, ctx) {
      const { Name, Usage, Internet: _internet, ...changes } = args;
      const refused = unsupportedSendConnectorUsage(Usage === undefined ? undefined : String(Usage));
      if (refused) throw new Error(refused);
      return [showConnector(await newSendConnector(ctx.directory, String(Name), changes))];
    },
  },
  {
    name: 'Set-SendConnector',
    synopsis: 'Changes a send connector; the next delivery attempt uses it.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'Name of the connector.' }, ...connectorParameters],
    examples: ['Set-SendConnector "Via provider" -SmartHosts smtp2.provider.example', 'Set-SendConnector "To Internet" -RequireTLS $true'],
    async run(args, ctx) {
      const { Identity, ...changes } = args;
      if (Object.keys(changes).length === 0) throw new Error('Set-SendConnector needs at least one setting to change.');
      await setSendConnector(ctx.directory, String(Identity), changes);
    },
  },
  {
    name: 'Remove-SendConnector',
    synopsis: 'Removes a send connector.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'Name of the connector.' },
    ],
    async run(args, ctx) {
      await removeSendConnector(ctx.directory, String(args.Identity));
    },
  },
  {
    name: 'Get-Queue',
    synopsis: 'Shows the outbound queues of this server, one per next-hop domain, with their message counts and last errors.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, help: 'SERVER\\domain; all queues when omitted.' }],
    examples: ['Get-Queue', 'Get-Queue MAIL01\\fabrikam.com'],
    async run(args, ctx) {
      const server = (await ctx.directory.server()).name;
      const recipients = await withQueue((q) => q.recipients());
      const open = recipients.filter((r) => r.status === 'ready' || r.status === 'retry' || r.status === 'suspended');
      const domains = [...new Set(open.map((r) => r.domain))].sort();
      const connectors = await sendConnectors(ctx.directory);
      const wanted = args.Identity ? String(args.Identity).split('\\').pop()!.toLowerCase() : undefined;
      return domains.filter((d) => wanted === undefined || d === wanted).map((domain) => {
        const rs = open.filter((r) => r.domain === domain);
        const failing = rs.filter((r) => r.lastError).sort((a, b) => b.nextAttemptAt - a.nextAttemptAt)[0];
        const viaSmartHost = connectorFor(connectors, domain)?.settings.DNSRoutingEnabled === false;
        return {
          Identity: `${server}\\${domain}`,
          DeliveryType: viaSmartHost ? 'SmartHostConnectorDelivery' : 'DnsConnectorDelivery',
          NextHopDomain: domain,
          Status: queueStatus(rs),
          MessageCount: new Set(rs.map((r) => r.messageId)).size,
          LastError: failing?.lastError ?? '',
          NextRetryTime: failing ? iso(Math.min(...rs.filter((r) => r.status === 'retry').map((r) => r.nextAttemptAt))) : '',
        };
      });
    },
  },
  {
    name: 'Get-Message',
    synopsis: 'Shows the messages in the outbound queue with their recipients, status and last error.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'SERVER\\MessageId; all messages when omitted.' },
      { name: 'Queue', kind: 'string', help: 'Only the messages of this queue (SERVER\\domain).' },
    ],
    examples: ['Get-Message', 'Get-Message -Queue MAIL01\\fabrikam.com'],
    async run(args, ctx) {
      const server = (await ctx.directory.server()).name;
      return withQueue(async (q) => {
        const all = await q.recipients();
        const onlyDomain = args.Queue ? String(args.Queue).split('\\').pop()!.toLowerCase() : undefined;
        const onlyId = args.Identity ? messageIdOf(String(args.Identity)) : undefined;
        const out: OutputObject[] = [];
        for (const m of await q.messages()) {
          if (onlyId !== undefined && m.id !== onlyId) continue;
          const rs = all.filter((r) => r.messageId === m.id);
          if (onlyDomain !== undefined && !rs.some((r) => r.domain === onlyDomain)) continue;
          const open = rs.filter((r) => r.status !== 'delivered' && r.status !== 'failed');
          out.push({
            Identity: `${server}\\${m.id}`,
            FromAddress: m.sender === '' ? '<>' : m.sender,
            Status: open.length === 0 ? 'PendingRemove' : open.every((r) => r.status === 'suspended') ? 'Suspended' : open.some((r) => r.status === 'retry') ? 'Retry' : 'Ready',
            Size: m.size,
            Subject: m.subject,
            MessageId: m.messageId,
            Recipients: rs.map((r) => `${r.address};${r.status[0]!.toUpperCase()}${r.status.slice(1)}`),
            Queue: [...new Set(rs.map((r) => `${server}\\${r.domain}`))],
            LastError: rs.map((r) => r.lastError).find((e) => e) ?? '',
            RetryCount: Math.max(0, ...rs.map((r) => r.attempts)),
            DateReceived: iso(m.receivedAt),
            ExpirationTime: iso(m.expiresAt),
          });
        }
        if (onlyId !== undefined && out.length === 0) throw new Error(`There is no message ${String(args.Identity)} in the queue (Get-Message lists them).`);
        return out;
      });
    },
  },
  {
    name: 'Retry-Queue',
    synopsis: 'Makes the waiting messages of a queue (or of all queues) due now, instead of at their next retry time.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'SERVER\\domain; every queue when omitted.' },
      { name: 'Resubmit', kind: 'bool', help: '$true only: Mailroom works out every retried message\'s route again (DNS, send connectors), as Exchange does with -Resubmit $true.' },
    ],
    examples: ['Retry-Queue MAIL01\\fabrikam.com', 'Retry-Queue'],
    async run(args) {
      if (args.Resubmit === false) {
        throw new Error('-Resubmit $false is not supported: Mailroom cannot retry a message on the route it had; every retry works the route out again (-Resubmit $true).');
      }
      const domain = args.Identity ? String(args.Identity).split('\\').pop()! : undefined;
      const n = await withQueue((q) => q.retryNow(Date.now(), domain));
      return `${n} recipient(s) will be retried within a second.`;
    },
  },
  {
    name: 'Suspend-Message',
    synopsis: 'Holds a queued message: no more delivery attempts until Resume-Message.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'SERVER\\MessageId.' }],
    async run(args) {
      const n = await withQueue((q) => q.setSuspended(messageIdOf(String(args.Identity)), true, Date.now()));
      if (n === 0) throw new Error(`There is no waiting message ${String(args.Identity)} (Get-Message lists them).`);
    },
  },
  {
    name: 'Resume-Message',
    synopsis: 'Lets a suspended message be delivered again, starting now.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'SERVER\\MessageId.' }],
    async run(args) {
      const n = await withQueue((q) => q.setSuspended(messageIdOf(String(args.Identity)), false, Date.now()));
      if (n === 0) throw new Error(`There is no suspended message ${String(args.Identity)} (Get-Message lists them).`);
    },
  },
  {
    name: 'Remove-Message',
    synopsis: 'Deletes a queued message; with -WithNDR $true (the default) the sender gets a non-delivery report.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'SERVER\\MessageId.' },
      { name: 'WithNDR', kind: 'bool', help: 'Send the sender a non-delivery report; $true when omitted.' },
    ],
    examples: ['Remove-Message MAIL01\\3F2A9C1B7D04 -WithNDR $false'],
    async run(args) {
      const n = await withQueue((q) => q.remove(messageIdOf(String(args.Identity)), args.WithNDR !== false));
      if (n === 0) throw new Error(`There is no waiting message ${String(args.Identity)} (Get-Message lists them).`);
    },
  },
];
