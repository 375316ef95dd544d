// The admin center (Exchange's ECP), for members of Organization Management only.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../../context.ts';
import { ADMIN_PATHS } from '../../pages/admin/shell.ts';
import { requireAdmin } from '../guard.ts';
import { mailboxRoutes } from './mailboxes.ts';
import { monitoringRoutes } from './monitoring.ts';
import { serverRoutes } from './servers.ts';
import { settingsRoutes } from './settings.ts';

export function adminRoutes(app: FastifyInstance, ctx: WebContext): void {
  for (const path of ['/ecp', '/ecp/']) {
    app.get(path, async (req, reply) => {
      const viewer = await requireAdmin(ctx, req, reply);
      if (!viewer) return reply;
      return reply.redirect(ADMIN_PATHS.servers, 302);
    });
  }
  serverRoutes(app, ctx);
  settingsRoutes(app, ctx);
  mailboxRoutes(app, ctx);
  monitoringRoutes(app, ctx);
}
