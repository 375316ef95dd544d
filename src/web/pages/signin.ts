// The sign-in page: one form that takes every logon name form Mailroom accepts.
import { html } from '../html.ts';
import type { Translator } from '../i18n.ts';
import { languageForm, renderPage } from './layout.ts';

export interface SignInView {
  t: Translator;
  csrf: string;
  returnTo: string;
  userName?: string;
  /** Catalogue key of the message to show above the form. */
  error?: string;
}

export function signInPage(view: SignInView): string {
  const { t } = view;
  const body = html`<div class="signin">
  <section class="card signin-card" aria-labelledby="signin-title">
    <h1 id="signin-title">${t.t('signin.title')}</h1>
    <p class="lead">${t.t('signin.intro')}</p>
    ${view.error ? html`<div class="alert error" role="alert" id="signin-error">${t.t(view.error)}</div>` : ''}
    <form method="post" action="/signin" class="stack" novalidate>
      <input type="hidden" name="_csrf" value="${view.csrf}">
      <input type="hidden" name="return" value="${view.returnTo}">
      <div class="field">
        <label for="username">${t.t('signin.username')}</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false"
          required value="${view.userName ?? ''}" ${view.userName ? '' : html`autofocus`}
          aria-describedby="username-hint${view.error ? ' signin-error' : ''}">
        <p class="hint" id="username-hint">${t.t('signin.usernameHint')}</p>
      </div>
      <div class="field">
        <label for="password">${t.t('signin.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required ${view.userName ? html`autofocus` : ''}>
      </div>
      <button type="submit" class="button primary wide">${t.t('signin.button')}</button>
    </form>
  </section>
  <div class="signin-footer">${languageForm(t, view.csrf, '/signin')}</div>
</div>`;
  return renderPage({ t, title: t.t('signin.title'), area: 'signin', body, csrf: view.csrf, path: '/signin' });
}
