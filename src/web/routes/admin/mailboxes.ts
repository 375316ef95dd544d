// Mailboxes: New-Mailbox, Set-CASMailbox (POP/IMAP access), Set-Mailbox (quotas, password),
// Add-/Remove-MailboxPermission (FullAccess).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Mailbox } from '../../../directory/directory.ts';
import { argument, runCmdlet, type CmdletOutcome } from '../../admin/run-cmdlet.ts';
import { changedArguments } from '../../admin/setting-form.ts';
import type { WebContext } from '../../context.ts';
import {
  ACCESS_SETTINGS, mailboxDetailPage, mailboxesPage, mailboxPath, QUOTA_SETTINGS, type FormState, type MailboxForm,
} from '../../pages/admin/mailboxes.ts';
import { ADMIN_PATHS, type Notices } from '../../pages/admin/shell.ts';
import { form, type Viewer } from '../../request.ts';
import { requireAdmin, sendHtml, sendMessage } from '../guard.ts';
import { noticesFrom, redirectDone } from './common.ts';

async function showDetail(ctx: WebContext, reply: FastifyReply, viewer: Viewer, mailbox: Mailbox, notices: Notices, state?: FormState, status = 200) {
  const permissions = await ctx.directory.mailboxPermissions(mailbox.id);
  return sendHtml(reply, mailboxDetailPage({ viewer, mailbox, permissions, notices, state }), status);
}

/** After an action on one mailbox: back to its page, with the outcome. */
async function finish(ctx: WebContext, reply: FastifyReply, viewer: Viewer, mailbox: Mailbox, formName: MailboxForm, fields: URLSearchParams, outcome: CmdletOutcome) {
  const fresh = (await ctx.directory.mailboxById(mailbox.id)) ?? mailbox;
  if (!outcome.ok) {
    return showDetail(ctx, reply, viewer, fresh, { warnings: outcome.warnings }, { form: formName, fields, problem: { message: outcome.message, parameter: outcome.parameter } }, 400);
  }
  // Warnings must be read, so the page is shown at once instead of after a redirect.
  if (outcome.warnings.length > 0) return showDetail(ctx, reply, viewer, fresh, { done: true, warnings: outcome.warnings });
  return redirectDone(reply, mailboxPath(fresh));
}

export function mailboxRoutes(app: FastifyInstance, ctx: WebContext): void {
  const run = (viewer: Viewer, name: string, args: string[]) => runCmdlet(ctx.directory, ctx.log, viewer.user.userPrincipalName, name, args);

  app.get(ADMIN_PATHS.mailboxes, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    return sendHtml(reply, mailboxesPage(viewer, await ctx.directory.mailboxes(), noticesFrom(req)));
  });

  app.post(`${ADMIN_PATHS.mailboxes}/new`, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const fields = form(req);
    const args = [argument('Name', fields.get('Name') ?? '')];
    for (const name of ['Alias', 'UserPrincipalName', 'Password', 'Languages']) {
      const value = (fields.get(name) ?? '').trim();
      if (value !== '') args.push(argument(name, name === 'Password' ? fields.get(name)! : value));
    }
    const outcome = await run(viewer, 'New-Mailbox', args);
    const mailboxes = await ctx.directory.mailboxes();
    if (!outcome.ok) {
      return sendHtml(reply, mailboxesPage(viewer, mailboxes, { warnings: outcome.warnings }, { form: 'new', fields, problem: { message: outcome.message, parameter: outcome.parameter } }), 400);
    }
    // A generated password arrives as a warning; it is shown once, here.
    if (outcome.warnings.length > 0) return sendHtml(reply, mailboxesPage(viewer, mailboxes, { done: true, warnings: outcome.warnings }));
    return redirectDone(reply, ADMIN_PATHS.mailboxes);
  });

  const detail = `${ADMIN_PATHS.mailboxes}/:id`;
  const target = async (req: FastifyRequest, reply: FastifyReply, viewer: Viewer): Promise<Mailbox | undefined> => {
    const mailbox = await ctx.directory.mailboxById((req.params as { id: string }).id);
    if (!mailbox) sendMessage(req, reply, 404, { title: 'message.notFoundTitle', text: 'message.notFoundText' }, viewer);
    return mailbox;
  };

  app.get(detail, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const mailbox = await target(req, reply, viewer);
    if (!mailbox) return reply;
    return showDetail(ctx, reply, viewer, mailbox, noticesFrom(req));
  });

  const settingsAction = (path: string, formName: MailboxForm, cmdlet: string, defs: typeof ACCESS_SETTINGS) => {
    app.post(`${detail}/${path}`, async (req, reply) => {
      const viewer = await requireAdmin(ctx, req, reply);
      if (!viewer) return reply;
      const mailbox = await target(req, reply, viewer);
      if (!mailbox) return reply;
      const fields = form(req);
      const args = changedArguments(defs, mailbox.settings, fields);
      if (args.length === 0) return redirectDone(reply, mailboxPath(mailbox), true);
      return finish(ctx, reply, viewer, mailbox, formName, fields, await run(viewer, cmdlet, [argument('Identity', mailbox.id), ...args]));
    });
  };
  settingsAction('access', 'access', 'Set-CASMailbox', ACCESS_SETTINGS);
  settingsAction('quota', 'quota', 'Set-Mailbox', QUOTA_SETTINGS);

  app.post(`${detail}/password`, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const mailbox = await target(req, reply, viewer);
    if (!mailbox) return reply;
    const fields = form(req);
    const outcome = await run(viewer, 'Set-Mailbox', [argument('Identity', mailbox.id), argument('Password', fields.get('Password') ?? '')]);
    // The password is never sent back into the form.
    return finish(ctx, reply, viewer, mailbox, 'password', new URLSearchParams(), outcome);
  });

  app.post(`${detail}/permission`, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const mailbox = await target(req, reply, viewer);
    if (!mailbox) return reply;
    const fields = form(req);
    const cmdlet = fields.get('action') === 'remove' ? 'Remove-MailboxPermission' : 'Add-MailboxPermission';
    const outcome = await run(viewer, cmdlet, [
      argument('Identity', mailbox.id), argument('User', fields.get('User') ?? ''), argument('AccessRights', fields.get('AccessRights') ?? 'FullAccess'),
    ]);
    return finish(ctx, reply, viewer, mailbox, 'permission', fields, outcome);
  });
}
