// The fastify application: body parsers, security headers, request metrics, error pages and
// every route. It is given an http.Server that never listens itself: the service hands it the
// connections its listeners accept (plain and TLS), the same listener code the POP3 and IMAP4
// front ends use.
import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { DirectoryError } from '../directory/directory.ts';
import type { WebContext } from './context.ts';
import { acmeChallengeRoutes } from './routes/acme-challenge.ts';
import { adminRoutes } from './routes/admin/index.ts';
import { authRoutes } from './routes/auth.ts';
import { clientSetupRoutes } from './routes/client-setup.ts';
import { sendMessage } from './routes/guard.ts';
import { opsRoutes } from './routes/ops.ts';
import { optionsRoutes } from './routes/options.ts';

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

const BODY_LIMIT = 256 * 1024;

function wantsHtml(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

export interface WebApp {
  app: FastifyInstance;
  server: Server;
}

export function buildApp(ctx: WebContext): WebApp {
  let server: Server | undefined;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    serverFactory: (handler) => {
      server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024 }, handler);
      return server;
    },
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(String(body)));
  });
  // Autodiscover requests come as text/xml, application/xml or with no useful type at all.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));

  const started = new WeakMap<FastifyRequest, bigint>();
  app.addHook('onRequest', async (req) => {
    started.set(req, process.hrtime.bigint());
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const start = started.get(req);
    if (start === undefined) return;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // The route pattern, never the raw URL, so the number of series stays bounded.
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.observe({ method: req.method, route, status: String(reply.statusCode) }, seconds);
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (wantsHtml(req)) return sendMessage(req, reply, 404, { title: 'message.notFoundTitle', text: 'message.notFoundText' });
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  });
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    // A name that is not in the directory (a server, a connector) is the request's fault.
    const status = err instanceof DirectoryError ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) ctx.log.error({ err, url: req.url }, 'web request failed');
    if (wantsHtml(req)) return sendMessage(req, reply, status, { title: 'message.errorTitle', text: status === 500 ? 'message.errorText' : 'message.badRequestText' });
    return reply.code(status).type('text/plain; charset=utf-8').send(status === 500 ? 'Internal error\n' : `${err.message}\n`);
  });

  opsRoutes(app, ctx);
  acmeChallengeRoutes(app, ctx);
  authRoutes(app, ctx);
  optionsRoutes(app, ctx);
  clientSetupRoutes(app, ctx);
  adminRoutes(app, ctx);

  if (!server) throw new Error('fastify did not create its server');
  return { app, server };
}
