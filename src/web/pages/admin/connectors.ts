// Receive connectors: what each listens on, who may use it, and whether it is published to users.
import type { ReceiveConnector } from '../../../directory/directory.ts';
import { html } from '../../html.ts';
import type { Viewer } from '../../request.ts';
import { adminPage, ADMIN_PATHS, notices, type Notices } from './shell.ts';

export function connectorEditPath(c: ReceiveConnector): string {
  return `${ADMIN_PATHS.connectors}/edit?identity=${encodeURIComponent(c.identity)}`;
}

export function connectorsPage(viewer: Viewer, connectors: ReceiveConnector[], n: Notices): string {
  const { t } = viewer;
  const yesNo = (v: unknown) => t.t(v === true ? 'admin.yes' : 'admin.no');
  const body = html`<h1>${t.t('admin.connectors.title')}</h1>
  <p class="lead">${t.t('admin.connectors.intro')}</p>
  ${notices(viewer, n)}
  <div class="card table-wrap"><table class="data">
    <thead><tr>
      <th scope="col">${t.t('admin.connectors.name')}</th>
      <th scope="col">${t.t('admin.connectors.bindings')}</th>
      <th scope="col">Fqdn</th>
      <th scope="col">${t.t('admin.connectors.enabled')}</th>
      <th scope="col">AdvertiseClientSettings</th>
      <th scope="col"><span class="visually-hidden">${t.t('admin.actions')}</span></th>
    </tr></thead>
    <tbody>${connectors.map((c) => html`<tr>
      <td><strong>${c.name}</strong><br><span class="muted">${c.server}</span></td>
      <td class="mono">${(c.settings.Bindings as string[]).join(', ')}</td>
      <td class="mono">${String(c.settings.Fqdn)}</td>
      <td>${yesNo(c.settings.Enabled)}</td>
      <td>${yesNo(c.settings.AdvertiseClientSettings)}</td>
      <td class="actions"><a class="button small" href="${connectorEditPath(c)}" aria-label="${t.t('admin.editOf', { name: c.name })}">${t.t('admin.edit')}</a></td>
    </tr>`)}</tbody>
  </table></div>`;
  return adminPage(viewer, 'connectors', t.t('admin.connectors.title'), body, ADMIN_PATHS.connectors);
}
