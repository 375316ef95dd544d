// POP3 and IMAP4 settings of a server, and receive connectors: forms from the SettingDef lists,
// saved with Set-PopSettings, Set-ImapSettings and Set-ReceiveConnector.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SettingDef, SettingsDocument } from '../../../config/model.ts';
import { IMAP_SETTINGS, POP_SETTINGS } from '../../../config/pop-imap.ts';
import { RECEIVE_CONNECTOR_SETTINGS } from '../../../config/receive-connector.ts';
import { argument, runCmdlet } from '../../admin/run-cmdlet.ts';
import { changedArguments } from '../../admin/setting-form.ts';
import type { WebContext } from '../../context.ts';
import { html } from '../../html.ts';
import { connectorEditPath, connectorsPage } from '../../pages/admin/connectors.ts';
import { settingsFormPage, type SettingsFormView } from '../../pages/admin/settings-form.ts';
import { ADMIN_PATHS, type AdminSection } from '../../pages/admin/shell.ts';
import { form, type Viewer } from '../../request.ts';
import { requireAdmin, sendHtml, sendMessage } from '../guard.ts';
import { noticesFrom, redirectDone } from './common.ts';

interface ProtocolPage {
  section: AdminSection;
  noun: 'PopSettings' | 'ImapSettings';
  defs: readonly SettingDef[];
}

const PROTOCOL_PAGES: ProtocolPage[] = [
  { section: 'pop3', noun: 'PopSettings', defs: POP_SETTINGS },
  { section: 'imap4', noun: 'ImapSettings', defs: IMAP_SETTINGS },
];

function serverPicker(viewer: Viewer, path: string, servers: string[], current: string) {
  if (servers.length < 2) return html``;
  const { t } = viewer;
  return html`<form class="inline-form card" method="get" action="${path}">
    <label for="server-picker">${t.t('admin.server')}</label>
    <select id="server-picker" name="server" data-autosubmit>${servers.map((s) => html`<option ${s === current ? html`selected` : ''}>${s}</option>`)}</select>
    <button type="submit" class="button small" data-autosubmit-fallback>${t.t('admin.show')}</button>
  </form>`;
}

export function settingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  for (const page of PROTOCOL_PAGES) {
    const path = ADMIN_PATHS[page.section];
    const render = async (reply: FastifyReply, viewer: Viewer, serverName: string | undefined, extra: Partial<SettingsFormView>, status = 200) => {
      const server = await ctx.directory.server(serverName);
      const servers = (await ctx.directory.servers()).map((s) => s.name);
      const { t } = viewer;
      return sendHtml(reply, settingsFormPage({
        viewer, section: page.section, title: t.t(`admin.${page.section}.title`), intro: t.t(`admin.${page.section}.intro`, { server: server.name }),
        cmdlet: `Set-${page.noun} -Server ${server.name}`, action: path, defs: page.defs,
        current: await ctx.directory.settings(page.noun, server.name), hidden: { server: server.name },
        before: serverPicker(viewer, path, servers, server.name), notices: {}, path: `${path}?server=${encodeURIComponent(server.name)}`,
        ...extra,
      }), status);
    };

    app.get(path, async (req, reply) => {
      const viewer = await requireAdmin(ctx, req, reply);
      if (!viewer) return reply;
      const serverName = (req.query as Record<string, string | undefined>).server;
      try {
        return await render(reply, viewer, serverName, { notices: noticesFrom(req) });
      } catch {
        return sendMessage(req, reply, 404, { title: 'message.notFoundTitle', text: 'message.notFoundText' }, viewer);
      }
    });

    app.post(path, async (req, reply) => {
      const viewer = await requireAdmin(ctx, req, reply);
      if (!viewer) return reply;
      const fields = form(req);
      const server = await ctx.directory.server(fields.get('server') ?? undefined);
      const current = await ctx.directory.settings(page.noun, server.name);
      const args = changedArguments(page.defs, current, fields);
      const back = `${path}?server=${encodeURIComponent(server.name)}`;
      if (args.length === 0) return redirectDone(reply, back, true);
      const outcome = await runCmdlet(ctx.directory, ctx.log, viewer.user.userPrincipalName, `Set-${page.noun}`, [argument('Server', server.name), ...args]);
      if (outcome.ok) return redirectDone(reply, back);
      return render(reply, viewer, server.name, { fields, problem: { message: outcome.message, parameter: outcome.parameter } }, 400);
    });
  }

  app.get(ADMIN_PATHS.connectors, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    return sendHtml(reply, connectorsPage(viewer, await ctx.directory.receiveConnectors(), noticesFrom(req)));
  });

  const editPath = `${ADMIN_PATHS.connectors}/edit`;
  const renderConnector = (reply: FastifyReply, viewer: Viewer, identity: string, current: SettingsDocument, extra: Partial<SettingsFormView>, status = 200) => {
    const { t } = viewer;
    return sendHtml(reply, settingsFormPage({
      viewer, section: 'connectors', title: identity, intro: t.t('admin.connectors.editIntro'),
      cmdlet: `Set-ReceiveConnector "${identity}"`, action: editPath, defs: RECEIVE_CONNECTOR_SETTINGS, current,
      hidden: { identity }, notices: {}, path: `${editPath}?identity=${encodeURIComponent(identity)}`, ...extra,
    }), status);
  };

  app.get(editPath, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    try {
      const connector = await ctx.directory.receiveConnector((req.query as Record<string, string | undefined>).identity ?? '');
      return await renderConnector(reply, viewer, connector.identity, connector.settings, { notices: noticesFrom(req) });
    } catch {
      return sendMessage(req, reply, 404, { title: 'message.notFoundTitle', text: 'message.notFoundText' }, viewer);
    }
  });

  app.post(editPath, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const fields = form(req);
    const connector = await ctx.directory.receiveConnector(fields.get('identity') ?? '');
    const args = changedArguments(RECEIVE_CONNECTOR_SETTINGS, connector.settings, fields);
    if (args.length === 0) return redirectDone(reply, connectorEditPath(connector), true);
    const outcome = await runCmdlet(ctx.directory, ctx.log, viewer.user.userPrincipalName, 'Set-ReceiveConnector', [argument('Identity', connector.identity), ...args]);
    if (outcome.ok) return redirectDone(reply, connectorEditPath(connector));
    return renderConnector(reply, viewer, connector.identity, connector.settings, { fields, problem: { message: outcome.message, parameter: outcome.parameter } }, 400);
  });
}
