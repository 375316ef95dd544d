// Shared by the admin-center routes: the notices a redirect carries, and the redirect itself.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Notices } from '../../pages/admin/shell.ts';

/** ?done=1 after a change, ?unchanged=1 after a save with nothing changed (post, redirect, get). */
export function noticesFrom(req: FastifyRequest): Notices {
  const q = req.query as Record<string, string | undefined>;
  return { done: q.done === '1', unchanged: q.unchanged === '1' };
}

export function redirectDone(reply: FastifyReply, path: string, unchanged = false): FastifyReply {
  const sep = path.includes('?') ? '&' : '?';
  return reply.redirect(`${path}${sep}${unchanged ? 'unchanged' : 'done'}=1`, 303);
}
