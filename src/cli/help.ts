// Get-Help text for one cmdlet, and the reference document built from the same definitions.
import type { Cmdlet } from './cmdlet.ts';
import type { ParameterSpec } from './types.ts';

function typeOf(p: ParameterSpec): string {
  const base = p.kind === 'enum' ? (p.values ?? []).join(' | ')
    : p.kind === 'bool' ? '$true | $false'
    : p.kind === 'switch' ? 'switch'
    : p.kind === 'size' ? `size (e.g. 10MB${p.allowUnlimited ? ', unlimited' : ''})`
    : p.kind === 'timespan' ? 'time span (hh:mm:ss)'
    : p.kind === 'int' ? `number${p.allowUnlimited ? ' | unlimited' : ''}`
    : p.kind === 'secret' ? 'password'
    : 'text';
  return p.multi ? `${base}, several allowed` : base;
}

export function helpText(c: Cmdlet): string {
  const lines = [`NAME`, `    ${c.name}`, ``, `SYNOPSIS`, `    ${c.synopsis}`, ``, `PARAMETERS`];
  if (c.parameters.length === 0) lines.push('    (none)');
  for (const p of c.parameters) {
    const pos = p.positional !== undefined ? ' (positional)' : '';
    const req = p.required ? ' (required)' : '';
    lines.push(`    -${p.name} <${typeOf(p)}>${req}${pos}`, `        ${p.help}`);
  }
  if (c.examples?.length) {
    lines.push('', 'EXAMPLES');
    for (const e of c.examples) lines.push(`    mailroom ${e}`);
  }
  return lines.join('\n');
}

export function referenceMarkdown(cmdlets: readonly Cmdlet[]): string {
  const out = [
    '# Cmdlet reference',
    '',
    'Every admin command, in Exchange Management Shell syntax after `mailroom`. This page is generated',
    'from the same definitions as `mailroom Get-Help <cmdlet>` (`npm run docs`).',
    '',
  ];
  for (const c of cmdlets) {
    out.push(`## ${c.name}`, '', c.synopsis, '');
    if (c.parameters.length) {
      out.push('| Parameter | Values | Description |', '|---|---|---|');
      for (const p of c.parameters) {
        const flags = [p.required ? 'required' : '', p.positional !== undefined ? 'positional' : ''].filter(Boolean).join(', ');
        out.push(`| -${p.name}${flags ? ` (${flags})` : ''} | ${typeOf(p).replace(/\|/g, '\\|')} | ${p.help.replace(/\|/g, '\\|')} |`);
      }
      out.push('');
    }
    if (c.examples?.length) {
      out.push('```', ...c.examples.map((e) => `mailroom ${e}`), '```', '');
    }
  }
  return out.join('\n');
}
