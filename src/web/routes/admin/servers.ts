// Servers and services: Get-ExchangeServer and Get-Service for the page; Start-Service,
// Stop-Service and Set-Service -StartupType for the buttons.
import type { FastifyInstance } from 'fastify';
import { runCmdlet, argument } from '../../admin/run-cmdlet.ts';
import type { WebContext } from '../../context.ts';
import { serversPage, type ServerRow } from '../../pages/admin/servers.ts';
import { ADMIN_PATHS, type Notices } from '../../pages/admin/shell.ts';
import { form, type Viewer } from '../../request.ts';
import { requireAdmin, sendHtml } from '../guard.ts';
import { noticesFrom, redirectDone } from './common.ts';

async function serverRows(ctx: WebContext, viewer: Viewer): Promise<ServerRow[]> {
  const run = (name: string, args: string[]) => runCmdlet(ctx.directory, ctx.log, viewer.user.userPrincipalName, name, args);
  const servers = await run('Get-ExchangeServer', []);
  if (!servers.ok) throw new Error(servers.message);
  const rows: ServerRow[] = [];
  for (const s of servers.result as { Name: string; Fqdn: string; Site: string; Running: boolean }[]) {
    const services = await run('Get-Service', [argument('Server', s.Name)]);
    if (!services.ok) throw new Error(services.message);
    rows.push({ name: s.Name, fqdn: s.Fqdn, site: s.Site, running: s.Running, services: services.result as ServerRow['services'] });
  }
  return rows;
}

const ACTIONS: Record<string, string> = { start: 'Start-Service', stop: 'Stop-Service', startup: 'Set-Service' };

export function serverRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(ADMIN_PATHS.servers, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    return sendHtml(reply, serversPage(viewer, await serverRows(ctx, viewer), noticesFrom(req)));
  });

  app.post(ADMIN_PATHS.servers, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const fields = form(req);
    const cmdlet = ACTIONS[fields.get('action') ?? ''];
    if (!cmdlet) return reply.code(400).send();
    const args = [argument('Name', fields.get('service') ?? ''), argument('Server', fields.get('server') ?? '')];
    if (cmdlet === 'Set-Service') args.push(argument('StartupType', fields.get('StartupType') ?? ''));
    const outcome = await runCmdlet(ctx.directory, ctx.log, viewer.user.userPrincipalName, cmdlet, args);
    if (outcome.ok) return redirectDone(reply, ADMIN_PATHS.servers);
    const n: Notices = { error: outcome.message, warnings: outcome.warnings };
    return sendHtml(reply, serversPage(viewer, await serverRows(ctx, viewer), n), 400);
  });
}
