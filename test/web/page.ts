// Reads the settings page's blocks out of the HTML: which are "Not available" and what the others say.
import { decodeEntities } from './client.ts';

export type Block = 'Not available' | { server: string; port: string; encryption: string };

export function blocks(html: string, scope: 'external' | 'internal'): Record<'pop' | 'imap' | 'smtp', Block> {
  const out: Partial<Record<'pop' | 'imap' | 'smtp', Block>> = {};
  const re = new RegExp(`data-scope="${scope}" data-setting="(pop|imap|smtp)"[\\s\\S]*?</section>`, 'g');
  for (const m of html.matchAll(re)) {
    const section = m[0];
    const field = (name: string) => decodeEntities(new RegExp(`data-field="${name}">([^<]*)<`).exec(section)?.[1] ?? '');
    out[m[1] as 'pop'] = section.includes('data-field="not-available"')
      ? 'Not available'
      : { server: field('server'), port: field('port'), encryption: field('encryption') };
  }
  return out as Record<'pop' | 'imap' | 'smtp', Block>;
}

/** The text of the page without tags, whitespace collapsed. */
export function pageText(html: string): string {
  return decodeEntities(html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}
