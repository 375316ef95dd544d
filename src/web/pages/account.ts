// Options > Account > My account: who is signed in, the mailbox's usage against its quota, and
// whether POP and IMAP are on for it, with the link to "Settings for POP or IMAP access".
import { html, type Html } from '../html.ts';
import type { Translator } from '../i18n.ts';
import type { Viewer } from '../request.ts';
import { renderPage } from './layout.ts';
import { MY_ACCOUNT_PATH, optionsNav, POP_IMAP_PATH } from './options-nav.ts';

export interface MailboxUsageView {
  bytes: number;
  /** Counted only where the store is open: undefined for figures from another server. */
  messages?: number;
  /** The server the figures came from, when it is not this one. */
  from?: string;
  /** ProhibitSendReceiveQuota in force. */
  limit: number | 'unlimited';
  /** IssueWarningQuota in force. */
  warning: number | 'unlimited';
}

export interface AccountView {
  viewer: Viewer;
  /** Undefined when the figures could not be read. */
  usage?: MailboxUsageView;
  /** The server that holds the mailbox, named when its figures could not be read. */
  heldBy?: string;
}

export function onOff(t: Translator, on: boolean, field: string): Html {
  return html`<span class="status ${on ? 'on' : 'off'}" data-field="${field}">${t.t(on ? 'status.enabled' : 'status.disabled')}</span>`;
}

function usageCard(t: Translator, usage: MailboxUsageView | undefined, heldBy: string | undefined): Html {
  if (!usage) {
    return html`<section class="card" aria-labelledby="usage-title"><h2 id="usage-title">${t.t('usage.title')}</h2>
      <p class="muted" data-field="usage-unavailable">${heldBy ? t.t('usage.elsewhere', { server: heldBy }) : t.t('usage.unavailable')}</p></section>`;
  }
  const used = t.bytes(usage.bytes);
  const counted = usage.messages === undefined ? [] : [t.t('usage.messages', { n: t.number(usage.messages) })];
  const messages = [...counted, ...(usage.from ? [t.t('usage.from', { server: usage.from })] : [])].join(' · ');
  if (usage.limit === 'unlimited') {
    return html`<section class="card" aria-labelledby="usage-title"><h2 id="usage-title">${t.t('usage.title')}</h2>
      <p class="usage-figure" data-field="usage">${t.t('usage.usedUnlimited', { used })}</p>
      <p class="muted">${messages}</p></section>`;
  }
  const percent = usage.limit === 0 ? 100 : Math.min(100, (usage.bytes / usage.limit) * 100);
  const warn = usage.warning !== 'unlimited' && usage.bytes >= usage.warning;
  const full = usage.bytes >= usage.limit;
  const state = full ? 'full' : warn ? 'warning' : 'ok';
  const shownPercent = t.number(percent, { maximumFractionDigits: percent < 10 ? 1 : 0 });
  return html`<section class="card" aria-labelledby="usage-title"><h2 id="usage-title">${t.t('usage.title')}</h2>
    <p class="usage-figure" data-field="usage">${t.t('usage.usedOf', { used, limit: t.bytes(usage.limit) })}</p>
    <progress class="usage-bar ${state}" max="100" value="${percent.toFixed(2)}" aria-label="${t.t('usage.percentLabel', { percent: shownPercent })}">${shownPercent}%</progress>
    <p class="muted">${[t.t('usage.percent', { percent: shownPercent }), ...(messages ? [messages] : [])].join(' · ')}</p>
    ${full ? html`<p class="alert error" role="status">${t.t('usage.full')}</p>` : warn ? html`<p class="alert warning" role="status">${t.t('usage.warning')}</p>` : ''}
  </section>`;
}

/** Two letters for Latin names (Alice Wong → AW), the first character for others (王小明 → 王). */
function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (!/^[A-Za-z]/.test(words[0]!)) return [...words[0]!][0]!;
  return words.slice(0, 2).map((w) => w[0]!.toUpperCase()).join('');
}

export function accountPage(view: AccountView): string {
  const { viewer } = view;
  const { t, mailbox, user } = viewer;
  const delegated = mailbox.id !== user.id;
  const displayName = String(mailbox.settings.DisplayName || mailbox.name);
  const body = html`<h1>${t.t('account.title')}</h1>
  ${delegated ? html`<p class="alert info">${t.t('account.delegated', { mailbox: mailbox.primarySmtpAddress, user: user.userPrincipalName })}</p>` : ''}
  <section class="card" aria-labelledby="profile-title">
    <h2 id="profile-title" class="visually-hidden">${t.t('account.profile')}</h2>
    <div class="profile-head">
      <span class="avatar" aria-hidden="true">${initials(displayName)}</span>
      <div><span class="name">${displayName}</span><span class="muted" data-field="email">${mailbox.primarySmtpAddress}</span></div>
    </div>
    <dl class="pairs">
      <div><dt>${t.t('account.email')}</dt><dd>${mailbox.primarySmtpAddress}</dd></div>
      <div><dt>${t.t('account.signInName')}</dt><dd>${user.userPrincipalName}</dd></div>
    </dl>
  </section>
  <div class="grid">
    ${usageCard(t, view.usage, view.heldBy)}
    <section class="card" aria-labelledby="popimap-title">
      <h2 id="popimap-title">${t.t('account.popImap')}</h2>
      <dl class="pairs">
        <div><dt>${t.t('account.popAccess')}</dt><dd>${onOff(t, mailbox.settings.PopEnabled === true, 'pop-enabled')}</dd></div>
        <div><dt>${t.t('account.imapAccess')}</dt><dd>${onOff(t, mailbox.settings.ImapEnabled === true, 'imap-enabled')}</dd></div>
      </dl>
      <p><a class="link-arrow" href="${POP_IMAP_PATH}">${t.t('account.popImapLink')}</a></p>
    </section>
  </div>`;
  return renderPage({
    t, title: t.t('account.title'), area: 'options', viewer, nav: optionsNav(t, MY_ACCOUNT_PATH), body,
    csrf: viewer.session.csrf, path: MY_ACCOUNT_PATH,
  });
}
