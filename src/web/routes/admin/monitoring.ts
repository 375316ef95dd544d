// Protocol logs of this server (the files under LogFileLocation) and the live sessions panel.
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ProtocolLogWriter } from '../../../lib/protocol-log.ts';
import type { WebContext } from '../../context.ts';
import { logFilePage, logsPage, sessionsPage, type LogFolder } from '../../pages/admin/monitoring.ts';
import { ADMIN_PATHS } from '../../pages/admin/shell.ts';
import { requireAdmin, sendHtml, sendMessage } from '../guard.ts';

const PROTOCOLS = { pop3: 'PopSettings', imap4: 'ImapSettings' } as const;
type LogProtocol = keyof typeof PROTOCOLS;
/** What the page shows of a file: the end, where the newest lines are. */
const VIEW_BYTES = 512 * 1024;
const MAX_FILES = 200;

async function logFolder(ctx: WebContext, protocol: LogProtocol): Promise<LogFolder> {
  const settings = await ctx.directory.settings(PROTOCOLS[protocol], ctx.serverName());
  const folder = ProtocolLogWriter.folderFor(String(settings.LogFileLocation));
  const names = await readdir(folder).catch(() => [] as string[]);
  const files = await Promise.all(names.filter((n) => /\.log$/i.test(n)).map(async (name) => {
    const s = await stat(join(folder, name)).catch(() => undefined);
    return s?.isFile() ? [{ name, size: s.size, modified: s.mtime }] : [];
  }));
  return {
    protocol, label: protocol === 'pop3' ? 'POP3' : 'IMAP4', enabled: settings.ProtocolLogEnabled === true, folder,
    files: files.flat().sort((a, b) => b.modified.getTime() - a.modified.getTime()).slice(0, MAX_FILES),
  };
}

export function monitoringRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(ADMIN_PATHS.logs, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    return sendHtml(reply, logsPage(viewer, [await logFolder(ctx, 'pop3'), await logFolder(ctx, 'imap4')]));
  });

  app.get<{ Params: { protocol: string; name: string }; Querystring: { download?: string } }>(`${ADMIN_PATHS.logs}/:protocol/:name`, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    const protocol = req.params.protocol as LogProtocol;
    // Only a name the folder listing gives is opened, so no path can reach outside it.
    const folder = protocol in PROTOCOLS ? await logFolder(ctx, protocol) : undefined;
    const file = folder?.files.find((f) => f.name === req.params.name);
    if (!folder || !file) return sendMessage(req, reply, 404, { title: 'message.notFoundTitle', text: 'message.notFoundText' }, viewer);
    const path = join(folder.folder, file.name);
    if (req.query.download === '1') {
      return reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"`)
        .type('text/csv; charset=utf-8').send(createReadStream(path));
    }
    const start = Math.max(0, file.size - VIEW_BYTES);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(file.size - start);
      await handle.read(buffer, 0, buffer.length, start);
      let text = buffer.toString('utf8');
      // Start at a whole line when the beginning was cut.
      if (start > 0) text = text.slice(text.indexOf('\n') + 1);
      return sendHtml(reply, logFilePage(viewer, protocol, file.name, text, start > 0));
    } finally {
      await handle.close();
    }
  });

  app.get(ADMIN_PATHS.sessions, async (req, reply) => {
    const viewer = await requireAdmin(ctx, req, reply);
    if (!viewer) return reply;
    return sendHtml(reply, sessionsPage(viewer, await ctx.liveSessions()));
  });
}
