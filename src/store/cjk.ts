// Chinese, Japanese and Korean text has no spaces between words. For the second full-text
// index every run of CJK characters becomes its overlapping two-character pieces, so a
// two-character word (most Chinese words) is one indexed token.

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u30fc]/u;

export function isCjk(ch: string): boolean {
  return CJK.test(ch);
}

const ANY_CJK = new RegExp(CJK.source, 'u');

export function cjkBigrams(text: string): string {
  // Most mail has no CJK at all; one native scan answers that instead of a test per character.
  if (!ANY_CJK.test(text)) return '';
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length === 1) out.push(run[0]!);
    for (let i = 0; i + 1 < run.length; i++) out.push(run[i]! + run[i + 1]!);
    run = [];
  };
  for (const ch of text) {
    if (isCjk(ch)) run.push(ch);
    else {
      flush();
      if (/\s/.test(ch)) out.push(' ');
    }
  }
  flush();
  return out.join(' ').replace(/ {2,}/g, ' ').trim();
}
