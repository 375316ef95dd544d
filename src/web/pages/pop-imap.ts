// "Settings for POP or IMAP access": the POP, IMAP and SMTP settings exactly as Exchange's
// Outlook Web App shows them (one entry each, SSL preferred, or "Not available"), then the
// settings for inside the network, the mailbox's own POP/IMAP switches and automatic setup.
import type { ClientProtocol, ClientSettings, Endpoint, SetupSettings } from '../../client-setup/settings.ts';
import { shownEndpoint } from '../../client-setup/settings.ts';
import { html, type Html } from '../html.ts';
import type { Translator } from '../i18n.ts';
import type { Viewer } from '../request.ts';
import { onOff } from './account.ts';
import { renderPage } from './layout.ts';
import { MOBILECONFIG_PATH, optionsNav, POP_IMAP_PATH } from './options-nav.ts';

export interface PopImapView {
  viewer: Viewer;
  settings: ClientSettings;
  setup: SetupSettings;
  profileAvailable: boolean;
}

const ORDER: readonly ClientProtocol[] = ['pop', 'imap', 'smtp'];

function encryptionName(t: Translator, e: Endpoint): string {
  return e.encryption === '' ? t.t('encryption.none') : t.t(`encryption.${e.encryption}`);
}

function block(t: Translator, scope: 'external' | 'internal', protocol: ClientProtocol, endpoint: Endpoint | undefined): Html {
  const id = `${scope}-${protocol}`;
  const content = endpoint
    ? html`<dl class="pairs">
        <div><dt>${t.t('popimap.serverName')}</dt><dd><span class="value" data-field="server">${endpoint.host}</span></dd></div>
        <div><dt>${t.t('popimap.port')}</dt><dd><span class="value" data-field="port">${endpoint.port}</span></dd></div>
        <div><dt>${t.t('popimap.encryption')}</dt><dd><span class="value" data-field="encryption">${encryptionName(t, endpoint)}</span></dd></div>
      </dl>`
    : html`<p class="not-available" data-field="not-available">${t.t('popimap.notAvailable')}</p>`;
  return html`<section class="setting-block ${endpoint ? 'published' : 'unpublished'}" data-scope="${scope}" data-setting="${protocol}" aria-labelledby="${id}">
    <h3 id="${id}">${t.t(`popimap.${protocol}Setting`)}</h3>
    ${content}
  </section>`;
}

function blocks(t: Translator, scope: 'external' | 'internal', settings: ClientSettings): Html {
  return html`<div class="setting-blocks">${ORDER.map((p) => block(t, scope, p, shownEndpoint(settings[scope][p])))}</div>`;
}

function setupCard(view: PopImapView): Html {
  const { t } = view.viewer;
  const profile = view.profileAvailable
    ? html`<p><a class="button primary" href="${MOBILECONFIG_PATH}" download>${t.t('setup.profileDownload')}</a></p>
      ${view.setup.source === 'internal' ? html`<p class="hint">${t.t('setup.profileInternal')}</p>` : ''}`
    : html`<p class="muted">${t.t('setup.profileUnavailable')}</p>`;
  return html`<section class="card" aria-labelledby="setup-title">
    <h2 id="setup-title">${t.t('setup.title')}</h2>
    <div class="setup-options">
      <div>
        <h3>${t.t('setup.appleTitle')}</h3>
        <p>${t.t('setup.appleText')}</p>
        ${profile}
      </div>
      <div>
        <h3>${t.t('setup.autoTitle')}</h3>
        <p>${t.t('setup.autoText', { address: view.viewer.mailbox.primarySmtpAddress })}</p>
      </div>
    </div>
  </section>`;
}

export function popImapPage(view: PopImapView): string {
  const { viewer, settings } = view;
  const { t, mailbox } = viewer;
  const body = html`<h1>${t.t('popimap.title')}</h1>
  <p class="lead">${t.t('popimap.intro')}</p>
  <section class="card" aria-labelledby="external-title">
    <h2 id="external-title" class="visually-hidden">${t.t('popimap.externalTitle')}</h2>
    ${blocks(t, 'external', settings)}
  </section>
  <section class="card" aria-labelledby="mailbox-title">
    <h2 id="mailbox-title">${t.t('popimap.mailboxTitle')}</h2>
    <dl class="pairs inline">
      <div><dt>${t.t('account.popAccess')}</dt><dd>${onOff(t, mailbox.settings.PopEnabled === true, 'pop-enabled')}</dd></div>
      <div><dt>${t.t('account.imapAccess')}</dt><dd>${onOff(t, mailbox.settings.ImapEnabled === true, 'imap-enabled')}</dd></div>
    </dl>
    <p class="hint">${t.t('popimap.userName', { name: viewer.session.logonName })}</p>
  </section>
  <section class="card" aria-labelledby="internal-title">
    <h2 id="internal-title">${t.t('popimap.internalTitle')}</h2>
    <p class="hint">${t.t('popimap.internalIntro')}</p>
    ${blocks(t, 'internal', settings)}
  </section>
  ${setupCard(view)}`;
  return renderPage({
    t, title: t.t('popimap.title'), area: 'options', viewer, nav: optionsNav(t, POP_IMAP_PATH), body,
    csrf: viewer.session.csrf, path: POP_IMAP_PATH,
  });
}
