// Sign-in, sign-out and the language control. Sign-in goes through the same Authenticator as
// POP3 and IMAP4: every logon name form, the failed-logon throttle (a growing delay per user and
// per address), and the same answer for every kind of failure.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.ts';
import { serializeCookie } from '../cookies.ts';
import { LANGUAGES } from '../i18n.ts';
import { MY_ACCOUNT_PATH } from '../pages/options-nav.ts';
import { signInPage } from '../pages/signin.ts';
import {
  addCookie, clearCookie, clientAddress, cookies, form, formIsGenuine, FORM_COOKIE, isHttps, LANGUAGE_COOKIE,
  loadViewer, safeReturnPath, SESSION_COOKIE, translatorFor,
} from '../request.ts';
import { randomToken } from '../sessions.ts';
import { requireHttps, sendHtml } from './guard.ts';

const LANGUAGE_COOKIE_SECONDS = 365 * 86400;

/** The token of forms shown before sign-in, kept in a cookie the page repeats (double submit). */
function formToken(req: FastifyRequest, reply: FastifyReply): string {
  const existing = cookies(req).get(FORM_COOKIE);
  if (existing && /^[\w-]{20,100}$/.test(existing)) return existing;
  const token = randomToken();
  addCookie(reply, serializeCookie(FORM_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'Strict' }));
  return token;
}

function showSignIn(req: FastifyRequest, reply: FastifyReply, status: number, extra: { userName?: string; error?: string; returnTo?: string }) {
  const t = translatorFor(req);
  const csrf = formToken(req, reply);
  const returnTo = extra.returnTo ?? safeReturnPath((req.query as Record<string, string | undefined>).return, MY_ACCOUNT_PATH);
  return sendHtml(reply, signInPage({ t, csrf, returnTo, userName: extra.userName, error: extra.error }), status);
}

export function authRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/', async (req, reply) => {
    if (!requireHttps(ctx, req, reply)) return reply;
    const viewer = await loadViewer(ctx, req);
    return reply.redirect(viewer ? MY_ACCOUNT_PATH : '/signin', 302);
  });

  app.get('/signin', async (req, reply) => {
    if (!requireHttps(ctx, req, reply)) return reply;
    const viewer = await loadViewer(ctx, req);
    if (viewer) return reply.redirect(safeReturnPath((req.query as Record<string, string | undefined>).return, MY_ACCOUNT_PATH), 303);
    return showSignIn(req, reply, 200, {});
  });

  app.post('/signin', async (req, reply) => {
    if (!requireHttps(ctx, req, reply)) return reply;
    const fields = form(req);
    const userName = (fields.get('username') ?? '').trim();
    const returnTo = safeReturnPath(fields.get('return'), MY_ACCOUNT_PATH);
    if (!formIsGenuine(req, cookies(req).get(FORM_COOKIE))) {
      return showSignIn(req, reply, 403, { userName, returnTo, error: 'signin.error.expired' });
    }
    const password = fields.get('password') ?? '';
    if (userName === '' || password === '') {
      return showSignIn(req, reply, 400, { userName, returnTo, error: 'signin.error.missing' });
    }
    const result = await ctx.authenticator.logon({ protocol: 'web', logonName: userName, password, clientAddress: clientAddress(req) });
    if (!result.ok && result.reason === 'busy') return showSignIn(req, reply, 503, { userName, returnTo, error: 'signin.error.busy' });
    if (!result.ok) return showSignIn(req, reply, 403, { userName, returnTo, error: 'signin.error.credentials' });
    // A new session id at every sign-in, so an id planted before sign-in is worth nothing.
    await ctx.sessions.destroyToken(cookies(req).get(SESSION_COOKIE));
    const { token } = await ctx.sessions.create({ userId: result.user.id, mailboxId: result.mailbox.id, logonName: userName, credentialSerial: result.user.credentialSerial });
    addCookie(reply, serializeCookie(SESSION_COOKIE, token, {
      httpOnly: true, secure: true, sameSite: 'Lax', maxAgeSeconds: ctx.sessions.maxAgeSeconds,
    }));
    return reply.redirect(returnTo, 303);
  });

  app.post('/signout', async (req, reply) => {
    if (!requireHttps(ctx, req, reply)) return reply;
    const viewer = await loadViewer(ctx, req);
    // Signing out someone else's session by a forged post is refused; without a session there
    // is nothing to protect, so it just ends on the sign-in page.
    if (viewer && !formIsGenuine(req, viewer.session.csrf)) return reply.redirect('/options/account', 303);
    if (viewer) await ctx.sessions.destroy(viewer.session.id);
    clearCookie(reply, SESSION_COOKIE, true);
    return reply.redirect('/signin', 303);
  });

  app.post('/language', async (req, reply) => {
    if (!requireHttps(ctx, req, reply)) return reply;
    const viewer = await loadViewer(ctx, req);
    const expected = viewer ? viewer.session.csrf : cookies(req).get(FORM_COOKIE);
    const fields = form(req);
    const back = safeReturnPath(fields.get('return'), viewer ? MY_ACCOUNT_PATH : '/signin');
    if (!formIsGenuine(req, expected)) return reply.redirect(back, 303);
    const language = LANGUAGES.find((l) => l === fields.get('language'));
    if (language) {
      addCookie(reply, serializeCookie(LANGUAGE_COOKIE, language, {
        httpOnly: true, secure: isHttps(req), sameSite: 'Lax', maxAgeSeconds: LANGUAGE_COOKIE_SECONDS,
      }));
    }
    return reply.redirect(back, 303);
  });
}
