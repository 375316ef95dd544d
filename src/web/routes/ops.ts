// /healthz and /metrics for monitoring, and the static files. With Set-WebSettings
// -MetricsBindings the monitoring endpoints move to their own listeners, which serve nothing else.
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { serviceMetrics } from '../../lib/metrics.ts';
import { aggregateMetrics } from '../../lib/process-status.ts';
import type { WebContext } from '../context.ts';
import { STATIC_ASSETS } from '../static.ts';

const NOT_FOUND = 'Not found\n';

export function opsRoutes(app: FastifyInstance, ctx: WebContext): void {
  // The monitoring listeners answer /metrics and /healthz only.
  app.addHook('onRequest', async (req, reply) => {
    if (ctx.listenerKind(req.raw.socket) !== 'monitoring') return;
    const path = req.url.split('?')[0];
    if (path !== '/metrics' && path !== '/healthz') return reply.code(404).type('text/plain; charset=utf-8').send(NOT_FOUND);
  });

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

  app.get('/metrics', async (req, reply) => {
    // With MetricsBindings set, the public listeners do not reveal the metrics.
    if (ctx.listenerKind(req.raw.socket) === 'pages') return reply.code(404).type('text/plain; charset=utf-8').send(NOT_FOUND);
    // The web service's own metrics and those the protocol services record in this process;
    // with the back ends in their own process, its figures added to them (counters and
    // histograms summed), so that /metrics is the whole server's.
    const own = Registry.merge([ctx.metrics.registry, serviceMetrics]);
    let registry = own;
    if (ctx.backendStatus) {
      try {
        registry = aggregateMetrics([await own.getMetricsAsJSON(), (await ctx.backendStatus()).metrics]);
      } catch (err) {
        // The front end's own figures still help; the log says what is missing.
        ctx.log.warn({ err: (err as Error).message }, '/metrics: the back-end process\'s metrics could not be read');
      }
    }
    const body = await registry.metrics();
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
