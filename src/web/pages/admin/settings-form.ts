// A page with one settings object as a form: POP3 and IMAP4 settings of a server, or a receive
// connector. The fields come from the SettingDef list; saving runs the Set-* cmdlet.
import type { SettingDef, SettingsDocument } from '../../../config/model.ts';
import { settingFields, type FieldProblem } from '../../admin/setting-form.ts';
import { html, type Html } from '../../html.ts';
import type { Viewer } from '../../request.ts';
import { adminPage, notices, token, type AdminSection, type Notices } from './shell.ts';

export interface SettingsFormView {
  viewer: Viewer;
  section: AdminSection;
  title: string;
  intro: string;
  /** The cmdlet the form runs, shown so admins learn the command line too. */
  cmdlet: string;
  action: string;
  defs: readonly SettingDef[];
  current: SettingsDocument;
  /** Hidden fields that identify the object (server, identity). */
  hidden: Record<string, string>;
  /** Above the form: a server picker, for instance. */
  before?: Html;
  fields?: URLSearchParams;
  problem?: FieldProblem;
  notices: Notices;
  path: string;
}

/** The id settingFields gives the refused parameter's field, when it is on the form. */
function fieldId(defs: readonly SettingDef[], parameter: string | undefined): string | undefined {
  const def = parameter ? defs.find((d) => d.name.toLowerCase() === parameter.toLowerCase()) : undefined;
  return def ? `setting-${def.name}` : undefined;
}

export function settingsFormPage(view: SettingsFormView): string {
  const { viewer } = view;
  const { t } = viewer;
  const body = html`<h1>${view.title}</h1>
  <p class="lead">${view.intro}</p>
  ${view.before ?? ''}
  ${notices(viewer, { ...view.notices, error: view.problem?.message, errorField: fieldId(view.defs, view.problem?.parameter) })}
  <form class="card" method="post" action="${view.action}" novalidate>
    ${token(viewer)}
    ${Object.entries(view.hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    <p class="hint">${t.t('admin.form.runs')} <code class="mono">${view.cmdlet}</code></p>
    <div class="settings-form">${settingFields(view.defs, view.current, { fields: view.fields, problem: view.problem })}</div>
    <div class="form-actions"><button type="submit" class="button primary">${t.t('admin.save')}</button>
      <a class="button" href="${view.path}">${t.t('admin.cancel')}</a></div>
  </form>`;
  return adminPage(viewer, view.section, view.title, body, view.path);
}
