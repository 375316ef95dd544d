// The signed-in user's Options pages: My account, Settings for POP or IMAP access, and the
// configuration profile download. Settings are read from the directory on every request.
import type { FastifyInstance } from 'fastify';
import type { Mailbox } from '../../directory/directory.ts';
import { readClientSettings, setupSettings } from '../../client-setup/settings.ts';
import { canMakeMobileconfig, mobileconfigXml } from '../../client-setup/mobileconfig.ts';
import type { WebContext } from '../context.ts';
import { accountPage, type MailboxUsageView } from '../pages/account.ts';
import { MOBILECONFIG_PATH, MY_ACCOUNT_PATH, POP_IMAP_PATH } from '../pages/options-nav.ts';
import { popImapPage } from '../pages/pop-imap.ts';
import { MEETING_PATH, meetingPage, readMeeting } from '../pages/meeting.ts';
import { findMeeting } from '../../smtp/meetings.ts';
import { requireViewer, sendHtml, sendMessage } from './guard.ts';

/** How long the server holding a mailbox may take to give its figures before the page goes without. */
const REMOTE_USAGE_MS = 5000;

/**
 * Usage against the quotas in force, from the server that holds the mailbox (the mailbox
 * locator says which): read from the store when its database is mounted here, asked of the
 * holding server over its delivery port (XQUOTA) otherwise. No store is ever opened for a
 * database mounted elsewhere: it would be an empty local copy.
 */
async function mailboxUsage(ctx: WebContext, mailbox: Mailbox): Promise<{ usage?: MailboxUsageView; heldBy?: string }> {
  const { database, server, local } = await ctx.locator.locate(mailbox);
  const own = mailbox.settings.UseDatabaseQuotaDefaults === false;
  const warning = (own ? mailbox.settings.IssueWarningQuota : database.settings.IssueWarningQuota) as number | 'unlimited';
  if (!database.mounted) return { heldBy: server.name };
  if (local) {
    const store = await ctx.databases.storeFor(mailbox);
    const [usage, limit] = await Promise.all([store.usage(mailbox.id), ctx.databases.quotaLimit(mailbox.id)]);
    return { usage: { bytes: usage.bytes, messages: usage.messages, limit, warning } };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const quota = await Promise.race([
      ctx.remoteQuota(mailbox),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${server.name} did not answer within ${REMOTE_USAGE_MS} ms`)), REMOTE_USAGE_MS); }),
    ]);
    return { usage: { bytes: quota.usage, limit: quota.prohibitSendReceive, warning, from: server.name } };
  } catch (err) {
    ctx.log.warn({ err, mailbox: mailbox.id, server: server.name }, 'web: the usage figures could not be read from the server holding the mailbox');
    return { heldBy: server.name };
  } finally {
    clearTimeout(timer);
  }
}

/** The logon name a mail client should use for this mailbox. */
function clientUserName(user: Mailbox, mailbox: Mailbox): string {
  return user.id === mailbox.id ? mailbox.primarySmtpAddress : `${user.userPrincipalName}\\${mailbox.alias}`;
}

export function optionsRoutes(app: FastifyInstance, ctx: WebContext): void {
  // The page meeting-request links lead to (CalendarItemRetrievalOption), for the mailbox that got it.
  app.get<{ Querystring: { uid?: string; download?: string } }>(MEETING_PATH, async (req, reply) => {
    const viewer = await requireViewer(ctx, req, reply);
    if (!viewer) return reply;
    const uid = req.query.uid ?? '';
    const ics = uid ? await findMeeting(ctx.directory, viewer.mailbox.id, uid) : undefined;
    if (!ics) return sendMessage(req, reply, 404, { title: 'meeting.notFoundTitle', text: 'meeting.notFoundText' }, viewer);
    if (req.query.download === '1') {
      return reply.header('cache-control', 'no-store').header('content-disposition', 'attachment; filename="meeting.ics"')
        .type('text/calendar; charset=utf-8').send(ics);
    }
    return sendHtml(reply, meetingPage(viewer, uid, readMeeting(ics)));
  });

  app.get(MY_ACCOUNT_PATH, async (req, reply) => {
    const viewer = await requireViewer(ctx, req, reply);
    if (!viewer) return reply;
    const figures = await mailboxUsage(ctx, viewer.mailbox).catch((err) => {
      ctx.log.warn({ err, mailbox: viewer.mailbox.id }, 'mailbox usage could not be read');
      return {};
    });
    return sendHtml(reply, accountPage({ viewer, ...figures }));
  });

  app.get(POP_IMAP_PATH, async (req, reply) => {
    const viewer = await requireViewer(ctx, req, reply);
    if (!viewer) return reply;
    const settings = await readClientSettings(ctx.directory, ctx.serverName());
    const setup = setupSettings(settings);
    return sendHtml(reply, popImapPage({ viewer, settings, setup, profileAvailable: canMakeMobileconfig(setup) }));
  });

  app.get(MOBILECONFIG_PATH, async (req, reply) => {
    const viewer = await requireViewer(ctx, req, reply);
    if (!viewer) return reply;
    const setup = setupSettings(await readClientSettings(ctx.directory, ctx.serverName()));
    if (!canMakeMobileconfig(setup)) {
      return sendMessage(req, reply, 404, { title: 'setup.profileUnavailableTitle', text: 'setup.profileUnavailable' }, viewer);
    }
    const { t, mailbox, user } = viewer;
    const org = await ctx.directory.requireOrganization();
    const body = mobileconfigXml({
      settings: setup,
      emailAddress: mailbox.primarySmtpAddress,
      userName: clientUserName(user, mailbox),
      displayName: String(mailbox.settings.DisplayName || mailbox.name),
      organization: org.name,
      accountDescription: t.t('setup.profileAccount', { organization: org.name, address: mailbox.primarySmtpAddress }),
      profileDescription: t.t('setup.profileDescription'),
      seed: mailbox.id,
    });
    const file = `${mailbox.alias.replace(/[^\w.-]/g, '_')}.mobileconfig`;
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${file}"`)
      .type('application/x-apple-aspen-config')
      .send(body);
  });
}
