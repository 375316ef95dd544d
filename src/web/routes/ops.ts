// /healthz and /metrics for monitoring, and the static files. /metrics is served on the same
// listeners as the pages for now (docs/web.md); put it behind the firewall or a proxy rule.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { STATIC_ASSETS } from '../static.ts';

export function opsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/healthz', async (_req, reply) => {
    // Healthy when the directory answers: everything the service does starts there.
    try {
      await ctx.directory.revision();
      return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('ok\n');
    } catch (err) {
      ctx.log.error({ err }, 'health check: the directory does not answer');
      return reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('directory unavailable\n');
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(ctx.metrics.registry.contentType).send(body);
  });

  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/static/:name', async (req, reply) => {
    const asset = STATIC_ASSETS.get(req.params.name);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    const etag = `"${asset.hash}"`;
    // A versioned link never changes content, so browsers may keep it for a year.
    reply.header('etag', etag).header('cache-control', req.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
}
