// The checks in front of every page with personal data: HTTPS, a signed-in session, a genuine
// form on POST, and for the admin center membership of Organization Management.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.ts';
import { messagePage } from '../pages/message.ts';
import { formIsGenuine, httpsUrl, isHttps, loadViewer, translatorFor, type Viewer } from '../request.ts';

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  // Personal pages are never stored by browsers or proxies.
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export function sendMessage(req: FastifyRequest, reply: FastifyReply, status: number, keys: { title: string; text: string }, viewer?: Viewer): FastifyReply {
  const t = viewer?.t ?? translatorFor(req);
  return sendHtml(reply, messagePage({ t, viewer, ...keys, csrf: viewer?.session.csrf ?? '', path: req.url }), status);
}

/** Sends plain-HTTP visitors to HTTPS; true when the request may go on. */
export function requireHttps(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): boolean {
  if (isHttps(req)) return true;
  if (req.method === 'GET' || req.method === 'HEAD') void reply.redirect(httpsUrl(ctx, req), 302);
  else sendMessage(req, reply, 403, { title: 'message.httpsTitle', text: 'message.httpsText' });
  return false;
}

export async function requireViewer(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined> {
  if (!requireHttps(ctx, req, reply)) return undefined;
  const viewer = await loadViewer(ctx, req);
  if (!viewer) {
    if (req.method === 'GET' || req.method === 'HEAD') void reply.redirect(`/signin?return=${encodeURIComponent(req.url)}`, 303);
    else sendMessage(req, reply, 403, { title: 'message.expiredTitle', text: 'message.expiredText' });
    return undefined;
  }
  if (req.method === 'POST' && !formIsGenuine(req, viewer.session.csrf)) {
    sendMessage(req, reply, 403, { title: 'message.expiredTitle', text: 'message.expiredText' }, viewer);
    return undefined;
  }
  return viewer;
}

export async function requireAdmin(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): Promise<Viewer | undefined> {
  const viewer = await requireViewer(ctx, req, reply);
  if (viewer && !viewer.isAdmin) {
    sendMessage(req, reply, 403, { title: 'message.forbiddenTitle', text: 'message.forbiddenText' }, viewer);
    return undefined;
  }
  return viewer;
}
