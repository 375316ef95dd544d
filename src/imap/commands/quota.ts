// QUOTA (RFC 9208): one quota root, "", holding the whole mailbox's STORAGE (in KiB) against
// ProhibitSendReceiveQuota. Quotas are set by an administrator (Set-Mailbox), not by clients.
import { mailboxName } from '../protocol/index.ts';
import { defineCommand, no } from '../session/command.ts';
import type { SessionContext } from '../session/context.ts';

async function quotaLine(session: SessionContext): Promise<string> {
  const usage = await session.home.store.usage(session.mailbox.id);
  const limit = await session.options.quotaLimit(session.mailbox.id);
  const used = Math.ceil(usage.bytes / 1024);
  return limit === 'unlimited' ? '* QUOTA "" ()' : `* QUOTA "" (STORAGE ${used} ${Math.floor(limit / 1024)})`;
}

export const getQuotaCommand = defineCommand({
  name: 'GETQUOTA',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    if (command.args.root !== '') throw no(`There is no quota root "${command.args.root}".`, 'NONEXISTENT');
    session.send(await quotaLine(session));
    await session.complete(command, 'GETQUOTA completed.');
  },
});

export const getQuotaRootCommand = defineCommand({
  name: 'GETQUOTAROOT',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    const name = session.nameFromWire(command.args.mailbox);
    await session.requireFolder(name);
    session.send(`* QUOTAROOT ${mailboxName(name, { utf8: session.utf8 })} ""`);
    session.send(await quotaLine(session));
    await session.complete(command, 'GETQUOTAROOT completed.');
  },
});

export const setQuotaCommand = defineCommand({
  name: 'SETQUOTA',
  states: ['authenticated', 'selected'],
  async run() {
    throw no('Quotas are set by your administrator.', 'NOPERM');
  },
});
