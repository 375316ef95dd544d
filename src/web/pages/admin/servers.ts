// Servers and services: each server with its services, their startup type, whether they run
// and what they listen on, with Start, Stop and the startup type to change.
import { STARTUP_TYPES } from '../../../config/services.ts';
import { html } from '../../html.ts';
import type { Viewer } from '../../request.ts';
import { adminPage, ADMIN_PATHS, notices, token, type Notices } from './shell.ts';

export interface ServerRow {
  name: string;
  fqdn: string;
  site: string;
  running: boolean;
  services: { Name: string; ServiceName: string; DisplayName: string; StartupType: string; Status: string; Wanted: string; Listening: string }[];
}

/** Start for a service that is set to stay stopped, Stop for one set to run. */
function actionButton(viewer: Viewer, server: string, service: string, displayName: string, action: 'start' | 'stop') {
  const { t } = viewer;
  return html`<form method="post" action="${ADMIN_PATHS.servers}">
    ${token(viewer)}<input type="hidden" name="server" value="${server}"><input type="hidden" name="service" value="${service}">
    <input type="hidden" name="action" value="${action}">
    <button type="submit" class="button small ${action === 'stop' ? 'danger' : ''}" aria-label="${t.t(`admin.servers.${action}Of`, { service: displayName })}">${t.t(`admin.servers.${action}`)}</button>
  </form>`;
}

export function serversPage(viewer: Viewer, servers: ServerRow[], n: Notices): string {
  const { t } = viewer;
  const body = html`<h1>${t.t('admin.servers.title')}</h1>
  <p class="lead">${t.t('admin.servers.intro')}</p>
  ${notices(viewer, n)}
  ${servers.map((s) => html`<section class="card" aria-labelledby="server-${s.name}">
    <div class="toolbar">
      <h2 id="server-${s.name}">${s.name} <span class="muted mono">${s.fqdn}</span></h2>
      <span class="status ${s.running ? 'on' : 'off'}">${t.t(s.running ? 'admin.servers.running' : 'admin.servers.notRunning')}</span>
    </div>
    <p class="muted">${t.t('admin.servers.site', { site: s.site })}</p>
    <div class="table-wrap"><table class="data">
      <caption class="visually-hidden">${t.t('admin.servers.caption', { server: s.name })}</caption>
      <thead><tr>
        <th scope="col">${t.t('admin.servers.service')}</th>
        <th scope="col">${t.t('admin.servers.startupType')}</th>
        <th scope="col">${t.t('admin.servers.status')}</th>
        <th scope="col">${t.t('admin.servers.listening')}</th>
        <th scope="col"><span class="visually-hidden">${t.t('admin.actions')}</span></th>
      </tr></thead>
      <tbody>${s.services.map((svc) => html`<tr data-service="${svc.Name}">
        <td><strong>${svc.DisplayName}</strong><br><span class="muted mono">${svc.Name} · ${svc.ServiceName}</span></td>
        <td><form class="inline-form" method="post" action="${ADMIN_PATHS.servers}">
          ${token(viewer)}<input type="hidden" name="server" value="${s.name}"><input type="hidden" name="service" value="${svc.Name}">
          <input type="hidden" name="action" value="startup">
          <label class="visually-hidden" for="startup-${s.name}-${svc.Name}">${t.t('admin.servers.startupTypeOf', { service: svc.DisplayName })}</label>
          <select id="startup-${s.name}-${svc.Name}" name="StartupType">${STARTUP_TYPES.map((st) => html`<option ${st === svc.StartupType ? html`selected` : ''}>${st}</option>`)}</select>
          <button type="submit" class="button small">${t.t('admin.apply')}</button>
        </form></td>
        <td><span class="status ${svc.Status === 'Running' ? 'on' : 'off'}" data-field="status">${t.t(`admin.servers.status.${svc.Status}`)}</span>
          ${svc.Wanted !== svc.Status ? html`<br><span class="hint">${t.t(`admin.servers.wanted.${svc.Wanted}`)}</span>` : ''}</td>
        <td class="mono">${svc.Listening.split(', ').filter(Boolean).map((b, i) => html`${i > 0 ? html`<br>` : ''}${b}`)}</td>
        <td class="actions">${actionButton(viewer, s.name, svc.Name, svc.DisplayName, svc.Wanted === 'Running' ? 'stop' : 'start')}</td>
      </tr>`)}</tbody>
    </table></div>
  </section>`)}`;
  return adminPage(viewer, 'servers', t.t('admin.servers.title'), body, ADMIN_PATHS.servers);
}
