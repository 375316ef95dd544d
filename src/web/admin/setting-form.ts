// Forms generated from the same SettingDef lists as the cmdlets: one field per parameter, with
// the current value in the form Get-* prints it, and back again as cmdlet arguments for the
// parameters the admin changed.
import type { SettingDef, SettingsDocument, SettingValue } from '../../config/model.ts';
import { formatSize, formatTimeSpan } from '../../cli/values.ts';
import { quoteArgument } from '../../cli/syntax.ts';
import { html, type Html } from '../html.ts';
import { argument } from './run-cmdlet.ts';

/** The value as the field shows it: sizes and time spans as Get-* prints them, lists one per line. */
export function fieldText(def: SettingDef, value: SettingValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join('\n');
  if (value === 'unlimited') return 'Unlimited';
  if (def.kind === 'size' && typeof value === 'number') return formatSize(value);
  if (def.kind === 'timespan' && typeof value === 'number') return formatTimeSpan(value);
  if (def.kind === 'bool') return value ? '$true' : '$false';
  return String(value);
}

/** What the form sent for a parameter, in the same shape as fieldText. */
export function submittedText(def: SettingDef, fields: URLSearchParams): string | undefined {
  if (def.multi && def.kind === 'enum') {
    // Checkboxes: a hidden marker says the group was on the form even when none is ticked.
    if (!fields.has(`${def.name}.present`)) return undefined;
    return fields.getAll(def.name).join('\n');
  }
  const raw = fields.get(def.name);
  if (raw === null) return undefined;
  return def.multi ? raw.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').join('\n') : raw.replace(/\r\n/g, '\n');
}

function listValue(items: string[]): string {
  return items.length === 0 ? '$null' : items.map(quoteArgument).join(',');
}

/** Cmdlet arguments for the fields whose text differs from the current value. */
export function changedArguments(defs: readonly SettingDef[], current: SettingsDocument, fields: URLSearchParams): string[] {
  const args: string[] = [];
  for (const def of defs) {
    if (def.readOnly) continue;
    const sent = submittedText(def, fields);
    if (sent === undefined) continue;
    const before = fieldText(def, current[def.name]);
    // Order matters in text lists (the first language names the folders), not in a set of flags.
    const normalize = (text: string) => {
      const items = text.split('\n').filter(Boolean).map((i) => i.toLowerCase());
      return (def.kind === 'enum' ? items.sort() : items).join('\n');
    };
    const same = def.multi ? normalize(sent) === normalize(before) : sent === before;
    if (same) continue;
    if (def.multi) args.push(argument(def.name, listValue(sent.split('\n').filter(Boolean))));
    else if (sent === '' && def.nullable) args.push(argument(def.name, '$null'));
    else args.push(argument(def.name, sent));
  }
  return args;
}

export interface FieldProblem {
  parameter?: string;
  message: string;
}

function control(def: SettingDef, id: string, text: string, invalid: boolean, describedBy: string): Html {
  const common = html`id="${id}" name="${def.name}" aria-describedby="${describedBy}" ${invalid ? html`aria-invalid="true"` : ''}`;
  if (def.readOnly) return html`<input type="text" ${common} value="${text}" readonly>`;
  if (def.kind === 'bool') {
    return html`<select ${common}>${['$true', '$false'].map((v) => html`<option value="${v}" ${v === text ? html`selected` : ''}>${v}</option>`)}</select>`;
  }
  if (def.kind === 'enum' && !def.multi) {
    return html`<select ${common}>${(def.values ?? []).map((v) => html`<option ${v === text ? html`selected` : ''}>${v}</option>`)}</select>`;
  }
  if (def.multi) return html`<textarea ${common} rows="${Math.max(2, text.split('\n').length + 1)}" spellcheck="false">${text}</textarea>`;
  return html`<input type="text" ${common} value="${text}" spellcheck="false" autocomplete="off">`;
}

/**
 * One field per parameter. `fields` (the admin's input after a refused change) wins over the
 * stored value, so nothing typed is lost; the refused parameter is marked with the message.
 */
export function settingFields(defs: readonly SettingDef[], current: SettingsDocument, options: { fields?: URLSearchParams; problem?: FieldProblem; idPrefix?: string } = {}): Html {
  const prefix = options.idPrefix ?? 'setting';
  return html`${defs.map((def) => {
    const id = `${prefix}-${def.name}`;
    const shown = (options.fields && submittedText(def, options.fields)) ?? fieldText(def, current[def.name]);
    const invalid = options.problem?.parameter?.toLowerCase() === def.name.toLowerCase();
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const describedBy = invalid ? `${errorId} ${hintId}` : hintId;
    const error = invalid ? html`<p class="error-text" id="${errorId}">${options.problem!.message}</p>` : '';
    if (def.kind === 'enum' && def.multi) {
      const chosen = new Set(shown.split('\n'));
      return html`<fieldset class="field ${invalid ? 'invalid' : ''}" aria-describedby="${describedBy}">
        <legend class="param">${def.name}</legend>
        <input type="hidden" name="${def.name}.present" value="1">
        <div class="checks">${(def.values ?? []).map((v) => html`<label><input type="checkbox" name="${def.name}" value="${v}" ${chosen.has(v) ? html`checked` : ''}> ${v}</label>`)}</div>
        ${error}<p class="hint" id="${hintId}">${def.help}</p>
      </fieldset>`;
    }
    return html`<div class="field ${invalid ? 'invalid' : ''}">
      <label class="param" for="${id}">${def.name}</label>
      ${control(def, id, shown, invalid, describedBy)}
      ${error}<p class="hint" id="${hintId}">${def.help}</p>
    </div>`;
  })}`;
}
