// Protocol logs (the CSV files Set-PopSettings/Set-ImapSettings -ProtocolLogEnabled writes) and
// the live sessions panel.
import { html } from '../../html.ts';
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

export function sessionsPage(viewer: Viewer): string {
  const { t } = viewer;
  const body = html`<h1>${t.t('admin.sessions.title')}</h1>
  <section class="card"><h2>${t.t('admin.sessions.unavailableTitle')}</h2><p>${t.t('admin.sessions.unavailable')}</p></section>`;
  return adminPage(viewer, 'sessions', t.t('admin.sessions.title'), body, ADMIN_PATHS.sessions);
}
