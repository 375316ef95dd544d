// Every cmdlet, found by name case-insensitively as PowerShell does.
import type { Cmdlet } from './cmdlet.ts';
import { acmeCmdlets } from './cmdlets/acme.ts';
import { certificateCmdlets } from './cmdlets/certificates.ts';
import { clientDnsCmdlets } from './cmdlets/client-dns.ts';
import { connectivityCmdlets } from './cmdlets/connectivity.ts';
import { dkimCmdlets } from './cmdlets/dkim.ts';
import { exportCmdlets } from './cmdlets/export.ts';
import { folderStatisticsCmdlets } from './cmdlets/folder-statistics.ts';
import { regionalCmdlets } from './cmdlets/regional.ts';
import { mailboxCmdlets } from './cmdlets/mailbox.ts';
import { mailboxImportCmdlets } from './cmdlets/mailbox-import.ts';
import { organizationCmdlets } from './cmdlets/organization.ts';
import { recoverableCmdlets } from './cmdlets/recoverable.ts';
import { webSettingsCmdlets } from './cmdlets/web-settings.ts';
import { transportServiceCmdlets } from './cmdlets/transport-service.ts';
import { protocolSettingsCmdlets } from './cmdlets/protocol-settings.ts';
import { serverComponentCmdlets } from './cmdlets/server-components.ts';
import { serviceCmdlets } from './cmdlets/services.ts';
import { topologyCmdlets } from './cmdlets/topology.ts';
import { throttlingPolicyCmdlets } from './cmdlets/throttling-policies.ts';
import { transportCmdlets } from './cmdlets/transport.ts';
import { transportQueueCmdlets } from './cmdlets/transport-queue.ts';

export const CMDLETS: readonly Cmdlet[] = [
  ...organizationCmdlets,
  ...topologyCmdlets,
  ...mailboxCmdlets,
  ...mailboxImportCmdlets,
  ...protocolSettingsCmdlets,
  ...transportCmdlets,
  ...serviceCmdlets,
  ...serverComponentCmdlets,
  ...throttlingPolicyCmdlets,
  ...connectivityCmdlets,
  ...certificateCmdlets,
  ...acmeCmdlets,
  ...recoverableCmdlets,
  ...folderStatisticsCmdlets,
  ...regionalCmdlets,
  ...webSettingsCmdlets,
  ...transportServiceCmdlets,
  ...clientDnsCmdlets,
  ...transportQueueCmdlets,
  ...dkimCmdlets,
  ...exportCmdlets,
];

export function findCmdlet(name: string): Cmdlet | undefined {
  const key = name.toLowerCase();
  return CMDLETS.find((c) => c.name.toLowerCase() === key);
}

export function isCmdletName(text: string): boolean {
  return /^[A-Za-z]+-[A-Za-z0-9]+$/.test(text);
}
