// The message catalogues and the choice of language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CATALOGUES, chooseLanguage, fromAcceptLanguage, supportedLanguage, translator } from '../../src/web/i18n.ts';

const WEB = resolve(import.meta.dirname, '..', '..', 'src', 'web');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('both catalogues have the same keys, and zh-TW is translated', () => {
  const en = Object.keys(CATALOGUES.en).sort();
  assert.deepEqual(Object.keys(CATALOGUES['zh-TW']).sort(), en);
  const same = en.filter((k) => CATALOGUES.en[k] === CATALOGUES['zh-TW'][k] && /[a-z]{3}/.test(CATALOGUES.en[k]!));
  // Product names, protocol names and the language's own name stay as they are.
  assert.deepEqual(same, ['language.name.en', 'product.name']);
});

test('every key the code asks for exists, including the families built from values', () => {
  const used = new Set<string>();
  for (const file of sources(WEB)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\.t\('([^']+)'/g)) used.add(m[1]!);
  }
  const families = [
    ...['pop', 'imap', 'smtp'].map((p) => `popimap.${p}Setting`),
    'encryption.SSL', 'encryption.TLS', 'encryption.none',
    ...['options', 'admin', 'signin'].map((a) => `area.${a}`),
    ...['en', 'zh-TW'].map((l) => `language.name.${l}`),
    ...['bytes', 'kb', 'mb', 'gb', 'tb'].map((u) => `units.${u}`),
    ...['servers', 'pop3', 'imap4', 'connectors', 'mailboxes', 'logs', 'sessions'].map((s) => `admin.nav.${s}`),
    ...['pop3', 'imap4'].flatMap((s) => [`admin.${s}.title`, `admin.${s}.intro`]),
    ...['user', 'shared', 'system'].map((t) => `admin.mailboxes.type.${t}`),
    ...['Running', 'Stopped'].flatMap((s) => [`admin.servers.status.${s}`, `admin.servers.wanted.${s}`]),
    ...['start', 'stop'].flatMap((a) => [`admin.servers.${a}`, `admin.servers.${a}Of`]),
  ];
  const missing = [...used, ...families].filter((k) => !(k in CATALOGUES.en));
  assert.deepEqual(missing, []);
  assert.ok(used.size > 100, `only ${used.size} keys found: the pattern no longer matches the code`);
});

test('placeholders are the same in both languages', () => {
  for (const [key, text] of Object.entries(CATALOGUES.en)) {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(CATALOGUES['zh-TW'][key]!), names(text), key);
  }
});

test('language tags map to what we have', () => {
  assert.equal(supportedLanguage('en-US'), 'en');
  assert.equal(supportedLanguage('EN-gb'), 'en');
  assert.equal(supportedLanguage('zh-TW'), 'zh-TW');
  assert.equal(supportedLanguage('zh-Hant'), 'zh-TW');
  assert.equal(supportedLanguage('zh-HK'), 'zh-TW');
  assert.equal(supportedLanguage('zh-CN'), undefined);
  assert.equal(supportedLanguage('fr-FR'), undefined);
});

test('Accept-Language by quality, then order', () => {
  assert.equal(fromAcceptLanguage('zh-TW,zh;q=0.9,en-US;q=0.8'), 'zh-TW');
  assert.equal(fromAcceptLanguage('fr;q=1, en;q=0.5, zh-TW;q=0.7'), 'zh-TW');
  assert.equal(fromAcceptLanguage('zh-CN, en;q=0.1'), 'en');
  assert.equal(fromAcceptLanguage('zh-TW;q=0, en;q=0.2'), 'en');
  assert.equal(fromAcceptLanguage('de'), undefined);
  assert.equal(fromAcceptLanguage(undefined), undefined);
});

test('the user\'s pick, then the mailbox, then the browser, then English', () => {
  assert.equal(chooseLanguage({ cookie: 'zh-TW', mailboxLanguages: ['en-US'], acceptLanguage: 'en' }), 'zh-TW');
  assert.equal(chooseLanguage({ cookie: 'xx', mailboxLanguages: ['zh-TW'], acceptLanguage: 'en' }), 'zh-TW');
  assert.equal(chooseLanguage({ mailboxLanguages: ['en-US'], acceptLanguage: 'zh-TW' }), 'en');
  assert.equal(chooseLanguage({ mailboxLanguages: ['fr-FR', 'zh-TW'], acceptLanguage: 'en' }), 'zh-TW');
  assert.equal(chooseLanguage({ mailboxLanguages: ['fr-FR'], acceptLanguage: 'zh-TW' }), 'zh-TW');
  assert.equal(chooseLanguage({ acceptLanguage: 'ja' }), 'en');
});

test('numbers and sizes in each language', () => {
  const en = translator('en');
  const zh = translator('zh-TW');
  assert.equal(en.bytes(0), '0 bytes');
  assert.equal(en.bytes(1536), '1.5 KB');
  assert.equal(en.bytes(2469396480), '2.3 GB');
  assert.equal(zh.bytes(1536), '1.5 KB');
  assert.equal(zh.bytes(10), '10 位元組');
  assert.equal(en.t('usage.usedOf', { used: '1 MB', limit: '2 GB' }), '1 MB used of 2 GB');
  assert.throws(() => en.t('no.such.key'), /missing catalogue key/);
});
