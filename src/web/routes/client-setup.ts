// Automatic client setup: Thunderbird autoconfig and Microsoft Autodiscover (POX). Public, as
// clients ask before they have a password; the answers hold only what the settings page
// publishes, and never say whether a mailbox exists (the address is echoed, not looked up).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readClientSettings, setupSettings } from '../../client-setup/settings.ts';
import { autoconfigXml } from '../../client-setup/autoconfig.ts';
import {
  autodiscoverErrorXml, autodiscoverSettingsXml, parseAutodiscoverRequest, RESPONSE_SCHEMA,
} from '../../client-setup/autodiscover.ts';
import type { WebContext } from '../context.ts';

export const AUTOCONFIG_PATHS = ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml'] as const;
export const AUTODISCOVER_PATHS = ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml'] as const;

/**
 * An Autodiscover request is a few hundred bytes (Outlook's is about 400), and these routes
 * answer anyone before a logon, so a larger body is refused (413) before it is read. Autoconfig
 * is a GET: it takes no body at all beyond a stray few bytes.
 */
export const AUTODISCOVER_BODY_LIMIT = 8 * 1024;
export const AUTOCONFIG_BODY_LIMIT = 1024;

/** A 413 for a request that announces more body than `limit`, before any of it is read. */
function refuseLargeBody(limit: number) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const length = Number(req.headers['content-length'] ?? 0);
    // A chunked body announces no size; POST routes count it as it comes (bodyLimit).
    const chunkedOnGet = req.headers['transfer-encoding'] !== undefined && (req.method === 'GET' || req.method === 'HEAD');
    if (!(length > limit) && !chunkedOnGet) return;
    // The rest of the body is not wanted: close rather than read it to reach a next request.
    return reply.code(413).header('connection', 'close').type('text/plain; charset=utf-8').send('Request body is too large\n');
  };
}

function sendXml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  // Settings apply at once, so clients and proxies must ask again rather than reuse a copy.
  return reply.code(status).header('cache-control', 'no-cache').type('text/xml; charset=utf-8').send(body);
}

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at > 0 && at < address.length - 1 ? address.slice(at + 1).toLowerCase() : undefined;
}

export function clientSetupRoutes(app: FastifyInstance, ctx: WebContext): void {
  for (const path of AUTOCONFIG_PATHS) {
    app.get(path, { onRequest: refuseLargeBody(AUTOCONFIG_BODY_LIMIT) }, async (req, reply) => {
      const address = (req.query as Record<string, string | undefined>).emailaddress;
      const domains = (await ctx.directory.acceptedDomains()).map((d) => d.name);
      if (address !== undefined) {
        const domain = domainOf(address);
        if (!domain || !domains.includes(domain)) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
      }
      const org = await ctx.directory.requireOrganization();
      const settings = setupSettings(await readClientSettings(ctx.directory, ctx.serverName()));
      return sendXml(reply, autoconfigXml({ domains, organization: org.name, settings }));
    });
  }

  for (const path of AUTODISCOVER_PATHS) {
    const limits = { bodyLimit: AUTODISCOVER_BODY_LIMIT, onRequest: refuseLargeBody(AUTODISCOVER_BODY_LIMIT) };
    app.get(path, limits, async (_req, reply) => sendXml(reply, autodiscoverErrorXml(600, 'Invalid Request'), 200));
    app.post(path, limits, async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const request = parseAutodiscoverRequest(body);
      if (!request.emailAddress) return sendXml(reply, autodiscoverErrorXml(600, 'Invalid Request'));
      if (request.acceptableSchema && request.acceptableSchema !== RESPONSE_SCHEMA) {
        return sendXml(reply, autodiscoverErrorXml(601, 'Provider is not available for the requested schema'));
      }
      const domain = domainOf(request.emailAddress);
      if (!domain || !(await ctx.directory.isAcceptedDomain(domain))) {
        return sendXml(reply, autodiscoverErrorXml(500, 'The e-mail address cannot be found.'));
      }
      const settings = setupSettings(await readClientSettings(ctx.directory, ctx.serverName()));
      return sendXml(reply, autodiscoverSettingsXml(request.emailAddress, settings));
    });
  }
}
