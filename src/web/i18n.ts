// Message catalogues (i18n/<language>.json) and the choice of language: the one the user picked
// with the language control (a cookie), else the first supported language of the mailbox, else
// the browser's Accept-Language, else English. No user-visible text lives in code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LANGUAGES = ['en', 'zh-TW'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export type Catalogue = Readonly<Record<string, string>>;

function load(language: Language): Catalogue {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'i18n', `${language}.json`), 'utf8')) as Catalogue;
}

export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en: load('en'), 'zh-TW': load('zh-TW') };

/** Maps a BCP 47 tag to a language we have: en-GB → en; zh-TW, zh-Hant, zh-HK, zh-MO → zh-TW. */
export function supportedLanguage(tag: string): Language | undefined {
  const t = tag.trim().toLowerCase();
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (/^zh-(tw|hk|mo|hant)(-|$)/.test(t)) return 'zh-TW';
  return undefined;
}

/** The best supported language of an Accept-Language header, by q-value then order. */
export function fromAcceptLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranked) {
    const lang = supportedLanguage(r.tag);
    if (lang) return lang;
  }
  return undefined;
}

export function chooseLanguage(input: { cookie?: string; mailboxLanguages?: readonly string[]; acceptLanguage?: string }): Language {
  const picked = input.cookie ? LANGUAGES.find((l) => l === input.cookie) : undefined;
  if (picked) return picked;
  for (const tag of input.mailboxLanguages ?? []) {
    const lang = supportedLanguage(tag);
    if (lang) return lang;
  }
  return fromAcceptLanguage(input.acceptLanguage) ?? DEFAULT_LANGUAGE;
}

export type Params = Readonly<Record<string, string | number>>;

export interface Translator {
  readonly language: Language;
  /** The catalogue text for a key with {name} placeholders filled; English when a translation is missing. */
  t(key: string, params?: Params): string;
  number(n: number, options?: Intl.NumberFormatOptions): string;
  dateTime(d: Date): string;
  /** 1.5 MB, 2 GB: binary units with the language's number format. */
  bytes(n: number): string;
}

const UNITS = ['bytes', 'kb', 'mb', 'gb', 'tb'] as const;

export function translator(language: Language): Translator {
  const own = CATALOGUES[language];
  const fallback = CATALOGUES[DEFAULT_LANGUAGE];
  const numbers = new Map<string, Intl.NumberFormat>();
  const dates = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
  const self: Translator = {
    language,
    t(key, params) {
      const text = own[key] ?? fallback[key];
      if (text === undefined) throw new Error(`missing catalogue key ${key}`);
      return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
    },
    number(n, options) {
      const k = JSON.stringify(options ?? {});
      let f = numbers.get(k);
      if (!f) numbers.set(k, (f = new Intl.NumberFormat(language, options)));
      return f.format(n);
    },
    dateTime: (d) => dates.format(d),
    bytes(n) {
      let unit = 0;
      let value = n;
      while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit++;
      }
      const shown = unit === 0 ? self.number(value) : self.number(value, { maximumFractionDigits: value < 10 ? 1 : 0 });
      return self.t(`units.${UNITS[unit]}`, { n: shown });
    },
  };
  return self;
}
