// Protocol logs (the CSV files Set-PopSettings/Set-ImapSettings -ProtocolLogEnabled writes) and
// the live sessions panel.
import { html } from '../../html.ts';
import type { LiveSession } from '../../../auth/session-logon.ts';
import type { Viewer } from '../../request.ts';
import { adminPage, ADMIN_PATHS } from './shell.ts';

export interface LogFolder {
  protocol: 'pop3' | 'imap4';
  label: string;
  enabled: boolean;
  folder: string;
  files: { name: string; size: number; modified: Date }[];
}

export function logsPage(viewer: Viewer, folders: LogFolder[]): string {
  const { t } = viewer;
  const body = html`<h1>${t.t('admin.logs.title')}</h1>
  <p class="lead">${t.t('admin.logs.intro')}</p>
  ${folders.map((f) => html`<section class="card" aria-labelledby="logs-${f.protocol}">
    <div class="toolbar"><h2 id="logs-${f.protocol}">${f.label}</h2>
      <span class="status ${f.enabled ? 'on' : 'off'}">${t.t(f.enabled ? 'admin.logs.on' : 'admin.logs.off')}</span></div>
    <p class="hint">${t.t('admin.logs.folder')} <span class="mono">${f.folder}</span></p>
    ${f.files.length === 0 ? html`<p class="muted">${t.t('admin.logs.none')}</p>` : html`<div class="table-wrap"><table class="data">
      <thead><tr><th scope="col">${t.t('admin.logs.file')}</th><th scope="col">${t.t('admin.logs.size')}</th><th scope="col">${t.t('admin.logs.modified')}</th></tr></thead>
      <tbody>${f.files.map((file) => html`<tr>
        <td class="mono"><a href="${ADMIN_PATHS.logs}/${f.protocol}/${encodeURIComponent(file.name)}">${file.name}</a></td>
        <td>${t.bytes(file.size)}</td><td>${t.dateTime(file.modified)}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`)}`;
  return adminPage(viewer, 'logs', t.t('admin.logs.title'), body, ADMIN_PATHS.logs);
}

export function logFilePage(viewer: Viewer, protocol: string, name: string, text: string, truncated: boolean): string {
  const { t } = viewer;
  const body = html`<h1 class="mono">${name}</h1>
  <p><a href="${ADMIN_PATHS.logs}">${t.t('admin.logs.back')}</a> · <a href="${ADMIN_PATHS.logs}/${protocol}/${encodeURIComponent(name)}?download=1">${t.t('admin.logs.download')}</a></p>
  ${truncated ? html`<p class="alert info">${t.t('admin.logs.truncated')}</p>` : ''}
  <pre class="log-view" tabindex="0">${text}</pre>`;
  return adminPage(viewer, 'logs', name, body, `${ADMIN_PATHS.logs}/${protocol}/${name}`);
}

export function sessionsPage(viewer: Viewer, sessions: LiveSession[]): string {
  const { t } = viewer;
  const sorted = [...sessions].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.since.getTime() - b.since.getTime());
  const body = html`<h1>${t.t('admin.sessions.title')}</h1>
  <p class="lead">${t.t('admin.sessions.intro')}</p>
  <section class="card">
    ${sorted.length === 0 ? html`<p class="muted">${t.t('admin.sessions.none')}</p>` : html`<div class="table-wrap"><table class="data">
      <thead><tr><th scope="col">${t.t('admin.sessions.protocol')}</th><th scope="col">${t.t('admin.sessions.user')}</th>
        <th scope="col">${t.t('admin.sessions.mailbox')}</th><th scope="col">${t.t('admin.sessions.client')}</th><th scope="col">${t.t('admin.sessions.since')}</th></tr></thead>
      <tbody>${sorted.map((x) => html`<tr><td>${x.protocol}</td><td>${x.user}</td><td>${x.mailbox}</td><td class="mono">${x.client}</td><td>${t.dateTime(x.since)}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
  return adminPage(viewer, 'sessions', t.t('admin.sessions.title'), body, ADMIN_PATHS.sessions);
}
