// The admin center's frame: its navigation, and the messages an action leaves (done, warnings,
// the cmdlet's refusal).
import { html, type Html } from '../../html.ts';
import type { Viewer } from '../../request.ts';
import { renderPage, type NavGroup } from '../layout.ts';

export const ADMIN_PATHS = {
  servers: '/ecp/servers',
  pop3: '/ecp/pop3',
  imap4: '/ecp/imap4',
  connectors: '/ecp/connectors',
  mailboxes: '/ecp/mailboxes',
  logs: '/ecp/logs',
  sessions: '/ecp/sessions',
} as const;

export type AdminSection = keyof typeof ADMIN_PATHS;

function adminNav(viewer: Viewer, current: AdminSection): NavGroup[] {
  const { t } = viewer;
  const item = (section: AdminSection) => ({ href: ADMIN_PATHS[section], label: t.t(`admin.nav.${section}`), current: section === current });
  return [
    { label: t.t('admin.nav.groupServers'), items: [item('servers')] },
    { label: t.t('admin.nav.groupClientAccess'), items: [item('pop3'), item('imap4'), item('connectors')] },
    { label: t.t('admin.nav.groupRecipients'), items: [item('mailboxes')] },
    { label: t.t('admin.nav.groupMonitoring'), items: [item('logs'), item('sessions')] },
  ];
}

export interface Notices {
  /** The last action succeeded. */
  done?: boolean;
  /** The form was saved with nothing changed. */
  unchanged?: boolean;
  /** What the cmdlet said on stderr (e.g. a generated password). */
  warnings?: string[];
  /** The cmdlet's refusal, word for word. */
  error?: string;
  /** The id of the field the refusal is about, to jump to it. */
  errorField?: string;
}

export function notices(viewer: Viewer, n: Notices): Html {
  const { t } = viewer;
  return html`${n.error ? html`<div class="alert error" role="alert" id="action-error"><strong>${t.t('admin.refused')}</strong><pre>${n.error}</pre>
    ${n.errorField ? html`<a href="#${n.errorField}">${t.t('admin.toField')}</a>` : ''}</div>` : ''}
  ${n.done ? html`<div class="alert success" role="status">${t.t('admin.done')}</div>` : ''}
  ${n.unchanged ? html`<div class="alert info" role="status">${t.t('admin.unchanged')}</div>` : ''}
  ${(n.warnings ?? []).map((w) => html`<div class="alert warning" role="status"><pre>${w}</pre></div>`)}`;
}

export function adminPage(viewer: Viewer, section: AdminSection, title: string, body: Html, path: string): string {
  return renderPage({
    t: viewer.t, title, area: 'admin', viewer, nav: adminNav(viewer, section), body, csrf: viewer.session.csrf, path,
  });
}

/** The hidden token every admin form carries. */
export function token(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.session.csrf}">`;
}
