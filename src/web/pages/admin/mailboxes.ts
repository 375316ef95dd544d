// Mailboxes: the list with a form to create one, and a page per mailbox for POP/IMAP access,
// quotas, the password and FullAccess.
import { CAS_MAILBOX_SETTINGS, MAILBOX_SETTINGS } from '../../../config/mailbox.ts';
import { formatSize } from '../../../cli/values.ts';
import type { Mailbox } from '../../../directory/directory.ts';
import { settingFields, type FieldProblem } from '../../admin/setting-form.ts';
import { html, type Html } from '../../html.ts';
import type { Viewer } from '../../request.ts';
import { adminPage, ADMIN_PATHS, notices, token, type Notices } from './shell.ts';

export const QUOTA_SETTINGS = MAILBOX_SETTINGS.filter((d) =>
  ['UseDatabaseQuotaDefaults', 'IssueWarningQuota', 'ProhibitSendQuota', 'ProhibitSendReceiveQuota'].includes(d.name));
export const ACCESS_SETTINGS = CAS_MAILBOX_SETTINGS.filter((d) => ['PopEnabled', 'ImapEnabled'].includes(d.name));

export function mailboxPath(m: Mailbox): string {
  return `${ADMIN_PATHS.mailboxes}/${encodeURIComponent(m.id)}`;
}

/** Which form of a page a refusal belongs to, so its fields keep what was typed. */
export type MailboxForm = 'new' | 'access' | 'quota' | 'password' | 'permission';

export interface FormState {
  form: MailboxForm;
  fields: URLSearchParams;
  problem: FieldProblem;
}

function field(id: string, name: string, label: string, value: string, problem: FieldProblem | undefined, extra: Html = html``, type = 'text'): Html {
  const invalid = problem?.parameter?.toLowerCase() === name.toLowerCase();
  return html`<div class="field ${invalid ? 'invalid' : ''}">
    <label for="${id}">${label}</label>
    <input type="${type}" id="${id}" name="${name}" value="${type === 'password' ? '' : value}" autocomplete="${type === 'password' ? 'new-password' : 'off'}" ${invalid ? html`aria-invalid="true" aria-describedby="${id}-error"` : ''} ${extra}>
    ${invalid ? html`<p class="error-text" id="${id}-error">${problem!.message}</p>` : ''}
  </div>`;
}

export function mailboxesPage(viewer: Viewer, mailboxes: Mailbox[], n: Notices, state?: FormState): string {
  const { t } = viewer;
  const problem = state?.form === 'new' ? state.problem : undefined;
  const typed = (name: string) => (state?.form === 'new' ? state.fields.get(name) ?? '' : '');
  const quota = (m: Mailbox) => m.settings.UseDatabaseQuotaDefaults === true
    ? t.t('admin.mailboxes.databaseDefault')
    : formatSize(m.settings.ProhibitSendReceiveQuota as number | 'unlimited');
  const onOff = (v: unknown) => html`<span class="status ${v === true ? 'on' : 'off'}">${t.t(v === true ? 'status.enabled' : 'status.disabled')}</span>`;
  const body = html`<h1>${t.t('admin.mailboxes.title')}</h1>
  ${notices(viewer, { ...n, error: problem?.message })}
  <details class="card" ${state?.form === 'new' ? html`open` : ''}>
    <summary class="button primary">${t.t('admin.mailboxes.new')}</summary>
    <form method="post" action="${ADMIN_PATHS.mailboxes}/new" class="settings-form" novalidate>
      ${token(viewer)}
      ${field('new-name', 'Name', t.t('admin.mailboxes.name'), typed('Name'), problem, html`required`)}
      ${field('new-alias', 'Alias', t.t('admin.mailboxes.alias'), typed('Alias'), problem)}
      ${field('new-upn', 'UserPrincipalName', t.t('admin.mailboxes.upn'), typed('UserPrincipalName'), problem)}
      ${field('new-password', 'Password', t.t('admin.mailboxes.password'), '', problem, html``, 'password')}
      <div class="field"><label for="new-languages">${t.t('admin.mailboxes.language')}</label>
        <select id="new-languages" name="Languages">${['en-US', 'zh-TW'].map((l) => html`<option ${typed('Languages') === l ? html`selected` : ''}>${l}</option>`)}</select></div>
      <div class="form-actions"><button type="submit" class="button primary">${t.t('admin.mailboxes.create')}</button>
        <span class="hint">${t.t('admin.form.runs')} <code class="mono">New-Mailbox</code></span></div>
    </form>
  </details>
  <div class="card table-wrap"><table class="data">
    <thead><tr>
      <th scope="col">${t.t('admin.mailboxes.name')}</th>
      <th scope="col">${t.t('admin.mailboxes.address')}</th>
      <th scope="col">${t.t('admin.mailboxes.type')}</th>
      <th scope="col">POP</th><th scope="col">IMAP</th>
      <th scope="col">${t.t('admin.mailboxes.quota')}</th>
    </tr></thead>
    <tbody>${mailboxes.map((m) => html`<tr>
      <td><a href="${mailboxPath(m)}">${m.name}</a></td>
      <td class="mono">${m.primarySmtpAddress}</td>
      <td>${t.t(`admin.mailboxes.type.${m.type}`)}</td>
      <td>${onOff(m.settings.PopEnabled)}</td><td>${onOff(m.settings.ImapEnabled)}</td>
      <td>${quota(m)}</td>
    </tr>`)}</tbody>
  </table></div>`;
  return adminPage(viewer, 'mailboxes', t.t('admin.mailboxes.title'), body, ADMIN_PATHS.mailboxes);
}

export interface MailboxDetailView {
  viewer: Viewer;
  mailbox: Mailbox;
  permissions: { user: string; right: string }[];
  notices: Notices;
  state?: FormState;
}

export function mailboxDetailPage(view: MailboxDetailView): string {
  const { viewer, mailbox: m } = view;
  const { t } = viewer;
  const path = mailboxPath(m);
  const stateFor = (form: MailboxForm) => (view.state?.form === form ? view.state : undefined);
  const access = stateFor('access');
  const quota = stateFor('quota');
  const password = stateFor('password');
  const permission = stateFor('permission');
  const canLogOn = m.type === 'user';
  const body = html`<h1>${m.name}</h1>
  <p class="lead mono">${m.primarySmtpAddress}</p>
  ${notices(viewer, { ...view.notices, error: view.state?.problem.message })}
  <div class="grid">
    <form class="card" method="post" action="${path}/access" novalidate>
      <h2>${t.t('admin.mailbox.access')}</h2>
      ${token(viewer)}
      ${settingFields(ACCESS_SETTINGS, m.settings, { fields: access?.fields, problem: access?.problem, idPrefix: 'access' })}
      <div class="form-actions"><button type="submit" class="button primary">${t.t('admin.save')}</button><code class="mono hint">Set-CASMailbox</code></div>
    </form>
    <form class="card" method="post" action="${path}/quota" novalidate>
      <h2>${t.t('admin.mailbox.quotas')}</h2>
      ${token(viewer)}
      ${settingFields(QUOTA_SETTINGS, m.settings, { fields: quota?.fields, problem: quota?.problem, idPrefix: 'quota' })}
      <div class="form-actions"><button type="submit" class="button primary">${t.t('admin.save')}</button><code class="mono hint">Set-Mailbox</code></div>
    </form>
    ${canLogOn ? html`<form class="card" method="post" action="${path}/password" novalidate>
      <h2>${t.t('admin.mailbox.password')}</h2>
      ${token(viewer)}
      ${field('reset-password', 'Password', t.t('admin.mailbox.newPassword'), '', password?.problem, html`required`, 'password')}
      <div class="form-actions"><button type="submit" class="button primary">${t.t('admin.mailbox.resetPassword')}</button><code class="mono hint">Set-Mailbox -Password</code></div>
    </form>` : ''}
    <section class="card">
      <h2>${t.t('admin.mailbox.fullAccess')}</h2>
      <p class="hint">${t.t('admin.mailbox.fullAccessHint', { alias: m.alias })}</p>
      ${view.permissions.length === 0 ? html`<p class="muted">${t.t('admin.mailbox.noPermissions')}</p>` : html`<ul class="plain">${view.permissions.map((p) => html`<li>
        ${p.user} <span class="muted">(${p.right})</span>
        <form class="inline-form" method="post" action="${path}/permission" data-confirm="${t.t('admin.mailbox.removeConfirm', { user: p.user })}">
          ${token(viewer)}<input type="hidden" name="User" value="${p.user}"><input type="hidden" name="AccessRights" value="${p.right}">
          <input type="hidden" name="action" value="remove">
          <button type="submit" class="button small danger">${t.t('admin.remove')}</button>
        </form></li>`)}</ul>`}
      <form method="post" action="${path}/permission" novalidate>
        ${token(viewer)}<input type="hidden" name="action" value="add"><input type="hidden" name="AccessRights" value="FullAccess">
        ${field('permission-user', 'User', t.t('admin.mailbox.grantTo'), permission?.fields.get('User') ?? '', permission?.problem)}
        <div class="form-actions"><button type="submit" class="button">${t.t('admin.mailbox.grant')}</button><code class="mono hint">Add-MailboxPermission</code></div>
      </form>
    </section>
  </div>`;
  return adminPage(viewer, 'mailboxes', m.name, body, path);
}
