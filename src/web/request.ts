// Per-request facts and helpers: transport, client address, form fields, cookies, the signed-in
// viewer and the language to answer in.
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Mailbox } from '../directory/directory.ts';
import type { WebContext } from './context.ts';
import { parseCookies, serializeCookie } from './cookies.ts';
import { chooseLanguage, translator, type Translator } from './i18n.ts';
import { tokensMatch, type WebSession } from './sessions.ts';

/** __Host-: the browser sends it only over HTTPS, to this host, for every path. */
export const SESSION_COOKIE = '__Host-mailroom-session';
/** The double-submit token of forms shown before sign-in (sign-in itself, the language control). */
export const FORM_COOKIE = '__Host-mailroom-form';
export const LANGUAGE_COOKIE = 'mailroom-language';

export const ADMIN_ROLE_GROUP = 'Organization Management';

export function isHttps(req: FastifyRequest): boolean {
  return (req.raw.socket as Partial<TLSSocket>).encrypted === true;
}

export function clientAddress(req: FastifyRequest): string {
  return (req.raw.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

export function cookies(req: FastifyRequest): Map<string, string> {
  return parseCookies(req.headers.cookie);
}

/** Form fields of a POST (the body parser gives URLSearchParams); empty for anything else. */
export function form(req: FastifyRequest): URLSearchParams {
  return req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
}

export function addCookie(reply: FastifyReply, cookie: string): void {
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}

export function clearCookie(reply: FastifyReply, name: string, secure: boolean): void {
  addCookie(reply, serializeCookie(name, '', { maxAgeSeconds: 0, httpOnly: true, secure }));
}

export function translatorFor(req: FastifyRequest, mailbox?: Mailbox): Translator {
  return translator(chooseLanguage({
    cookie: cookies(req).get(LANGUAGE_COOKIE),
    mailboxLanguages: mailbox ? (mailbox.settings.Languages as string[]) : undefined,
    acceptLanguage: req.headers['accept-language'],
  }));
}

/** Someone signed in, as read fresh from the directory for this request. */
export interface Viewer {
  session: WebSession;
  /** The account that signed in. */
  user: Mailbox;
  /** The mailbox shown: the user's own, or one opened with FullAccess. */
  mailbox: Mailbox;
  isAdmin: boolean;
  t: Translator;
}

export async function loadViewer(ctx: WebContext, req: FastifyRequest): Promise<Viewer | undefined> {
  if (!isHttps(req)) return undefined;
  const session = await ctx.sessions.get(cookies(req).get(SESSION_COOKIE));
  if (!session) return undefined;
  const [user, mailbox] = await Promise.all([ctx.directory.mailboxById(session.userId), ctx.directory.mailboxById(session.mailboxId)]);
  // An account removed or disabled since sign-in loses its session at once; so does one whose
  // password was set since (a reset after a theft must shut the thief out), and a mailbox opened
  // through a FullAccess permission that was removed.
  const revoked = !user || !mailbox || user.accountDisabled || user.credentialSerial !== session.credentialSerial
    || (mailbox.id !== user.id && !(await ctx.directory.hasMailboxPermission(mailbox.id, user.id, 'FullAccess')));
  if (revoked) {
    await ctx.sessions.destroy(session.id);
    return undefined;
  }
  const isAdmin = await ctx.directory.isRoleGroupMember(ADMIN_ROLE_GROUP, user.id);
  return { session, user, mailbox, isAdmin, t: translatorFor(req, mailbox) };
}

/** The same path on the HTTPS listener; pages with credentials are never served in clear. */
export function httpsUrl(ctx: WebContext, req: FastifyRequest): string {
  const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
  const port = ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`;
  return `https://${host}${port}${req.url}`;
}

/** A path inside this site, for ?return= values; anything else becomes the default page. */
export function safeReturnPath(value: string | null | undefined, fallback: string): string {
  // One leading slash, then printable ASCII without backslashes: never "//host", never a header break.
  return value && /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(value) ? value : fallback;
}

/**
 * A POST from one of our forms: the token matches and, when the browser says where the form
 * came from, it came from this host. SameSite cookies already stop most cross-site posts; this
 * stops the rest (and same-site subdomains).
 */
export function formIsGenuine(req: FastifyRequest, expectedToken: string | undefined): boolean {
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    try {
      if (new URL(origin).host !== req.headers.host) return false;
    } catch {
      return false;
    }
  }
  return tokensMatch(form(req).get('_csrf'), expectedToken);
}
