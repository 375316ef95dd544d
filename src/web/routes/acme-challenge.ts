// RFC 8555 §8.3 HTTP-01: the certificate authority fetches
// http://<host>/.well-known/acme-challenge/<token> on port 80 and expects the key authorization.
// The answers come from the directory, where the order (New-AcmeCertificate in another process,
// or the server's renewal) put them; an unknown token is a plain 404.
import type { FastifyInstance } from 'fastify';
import { acmeChallengeAnswer } from '../../certificates/acme.ts';
import type { WebContext } from '../context.ts';

export function acmeChallengeRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { token: string } }>('/.well-known/acme-challenge/:token', async (req, reply) => {
    const answer = await acmeChallengeAnswer(ctx.directory, req.params.token);
    if (answer === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
    ctx.log.info({ token: req.params.token, from: req.ip }, 'ACME: answered an HTTP-01 challenge');
    return reply.header('cache-control', 'no-store').type('application/octet-stream').send(answer);
  });
}
