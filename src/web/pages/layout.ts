// The page shell: top bar with the product name, the language control and the signed-in user,
// a side navigation, and the main region. Everything visible comes from the catalogues.
import { html, type Html } from '../html.ts';
import { LANGUAGES, type Translator } from '../i18n.ts';
import type { Viewer } from '../request.ts';
import { assetUrl } from '../static.ts';

export interface NavItem {
  href: string;
  label: string;
  current: boolean;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export interface PageInput {
  t: Translator;
  title: string;
  /** Which application the page belongs to, shown beside the product name. */
  area: 'options' | 'admin' | 'signin';
  viewer?: Viewer;
  nav?: NavGroup[];
  body: Html;
  /** Token for the forms of the shell itself (language, sign out). */
  csrf: string;
  /** Where the language control returns to. */
  path: string;
}

export function languageForm(t: Translator, csrf: string, path: string): Html {
  return html`<form class="language" method="post" action="/language">
    <input type="hidden" name="_csrf" value="${csrf}">
    <input type="hidden" name="return" value="${path}">
    <label for="language-select">${t.t('language.label')}</label>
    <select id="language-select" name="language" data-autosubmit>
      ${LANGUAGES.map((l) => html`<option value="${l}" lang="${l}" ${l === t.language ? html`selected` : ''}>${t.t(`language.name.${l}`)}</option>`)}
    </select>
    <button type="submit" class="button subtle" data-autosubmit-fallback>${t.t('language.change')}</button>
  </form>`;
}

function navigation(t: Translator, groups: NavGroup[]): Html {
  return html`<nav class="sidenav" aria-label="${t.t('nav.label')}">
    ${groups.map((g) => html`<h2 class="nav-group">${g.label}</h2>
      <ul>${g.items.map((i) => html`<li><a href="${i.href}" ${i.current ? html`aria-current="page"` : ''}>${i.label}</a></li>`)}</ul>`)}
  </nav>`;
}

function userMenu(input: PageInput): Html {
  const { viewer, t } = input;
  if (!viewer) return html``;
  const name = String(viewer.user.settings.DisplayName || viewer.user.name);
  const switchLink = input.area === 'admin'
    ? html`<a class="topbar-link" href="/options/account">${t.t('nav.options')}</a>`
    : viewer.isAdmin ? html`<a class="topbar-link" href="/ecp/">${t.t('nav.adminCenter')}</a>` : '';
  return html`<div class="user">
    ${switchLink}
    <span class="user-name" title="${viewer.user.userPrincipalName}">${name}</span>
    <form method="post" action="/signout">
      <input type="hidden" name="_csrf" value="${input.csrf}">
      <button type="submit" class="button on-dark">${t.t('signout.button')}</button>
    </form>
  </div>`;
}

export function renderPage(input: PageInput): string {
  const { t } = input;
  const areaName = t.t(`area.${input.area}`);
  const doc = html`<!doctype html>
<html lang="${t.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${input.title} · ${t.t('product.name')}</title>
<link rel="icon" href="${assetUrl('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('app.css')}">
<script src="${assetUrl('app.js')}" defer></script>
</head>
<body class="area-${input.area}" data-copy-label="${t.t('action.copy')}" data-copied-label="${t.t('action.copied')}">
<a class="skip-link" href="#main">${t.t('nav.skip')}</a>
<header class="topbar">
  <a class="brand" href="/">
    <img src="${assetUrl('icon.svg')}" alt="" width="28" height="28">
    <span class="brand-name">${t.t('product.name')}</span>
    <span class="brand-area">${areaName}</span>
  </a>
  <div class="topbar-tools">
    ${input.area === 'signin' ? '' : languageForm(t, input.csrf, input.path)}
    ${userMenu(input)}
  </div>
</header>
<div class="shell ${input.nav ? 'with-nav' : 'no-nav'}">
  ${input.nav ? navigation(t, input.nav) : ''}
  <main id="main" tabindex="-1">
${input.body}
  </main>
</div>
</body>
</html>
`;
  return doc.text;
}
