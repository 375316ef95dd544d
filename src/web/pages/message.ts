// Pages that only say something: access denied, not found, a form that expired, an error.
import { html } from '../html.ts';
import type { Translator } from '../i18n.ts';
import type { Viewer } from '../request.ts';
import { renderPage } from './layout.ts';

export interface MessageView {
  t: Translator;
  viewer?: Viewer;
  /** Catalogue keys. */
  title: string;
  text: string;
  csrf: string;
  path: string;
}

export function messagePage(view: MessageView): string {
  const { t } = view;
  const home = view.viewer ? '/options/account' : '/signin';
  const body = html`<section class="card message-card">
    <h1>${t.t(view.title)}</h1>
    <p>${t.t(view.text)}</p>
    <p><a class="button" href="${home}">${t.t(view.viewer ? 'message.backToAccount' : 'message.toSignIn')}</a></p>
  </section>`;
  return renderPage({ t, title: t.t(view.title), area: view.viewer ? 'options' : 'signin', viewer: view.viewer, body, csrf: view.csrf, path: view.path });
}
