// Inputs that make a backtracking regular expression show its worst case: long runs of one
// character and of two alternating characters taken from the expression itself (its literals,
// the members of its classes, a representative of each escape), after the literal text it
// starts with, and ending in a character nothing expects, so that every match attempt fails
// at the very end. A linear expression reads such an input in well under a millisecond; a
// quadratic one needs seconds at these lengths.

/** Characters of one run (a single character repeated). */
export const RUN_LENGTH = 40_000;
/** Pairs alternate over the same number of characters. */
const PAIR_LENGTH = 40_000;
/** Ends every input: a control character no expression in src/ looks for. */
const TAIL = '\u0001';

const ESCAPES: Record<string, string[]> = {
  s: [' '], S: ['x'], d: ['0'], D: ['x'], w: ['a'], W: [' '], t: ['\t'], r: ['\r'], n: ['\n'], f: [], v: [], b: [], B: [], p: ['a', '中'], P: ['!'],
};
const META = new Set([...'^$|?*+(){}.']);

/** Characters the expression names: literals, class members and range ends, escapes' representatives. */
export function charactersOf(source: string): string[] {
  const chars = new Set<string>();
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const e = source[++i] ?? '';
      if (e === 'x') {
        chars.add(String.fromCharCode(Number.parseInt(source.slice(i + 1, i + 3), 16)));
        i += 2;
      } else if (e === 'u' && source[i + 1] === '{') {
        const close = source.indexOf('}', i);
        chars.add(String.fromCodePoint(Number.parseInt(source.slice(i + 2, close), 16)));
        i = close;
      } else if (e === 'u') {
        chars.add(String.fromCharCode(Number.parseInt(source.slice(i + 1, i + 5), 16)));
        i += 4;
      } else if (e === 'p' || e === 'P') {
        for (const r of ESCAPES[e]!) chars.add(r);
        i = source.indexOf('}', i);
      } else if (e in ESCAPES) {
        for (const r of ESCAPES[e]!) chars.add(r);
      } else if (!/[0-9k]/.test(e)) {
        chars.add(e);
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
      else if (c !== '^' && c !== '-') chars.add(c);
    } else if (c === '[') {
      inClass = true;
    } else if (!META.has(c)) {
      chars.add(c);
    }
  }
  return [...chars].filter((c) => c !== TAIL);
}

/** The literal text the expression starts with (after `^`), which a run must follow to be reached. */
export function leadingLiteral(source: string): string {
  let out = '';
  let i = source.startsWith('^') ? 1 : 0;
  while (i < source.length) {
    let c = source[i]!;
    let width = 1;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      if (/[A-Za-z0-9]/.test(e)) break;
      c = e;
      width = 2;
    } else if (META.has(c) || c === '[') {
      break;
    }
    // A character under a quantifier is not certain to be there.
    if (/[?*+{]/.test(source[i + width] ?? '')) break;
    out += c;
    i += width;
  }
  return out;
}

/** Members of negated classes (`[^\s@]`): the characters that end a run such a class reads. */
export function excludedCharacters(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/\[\^((?:\\.|[^\]\\])*)\]/g)) for (const c of charactersOf(`[${m[1]}]`)) out.add(c);
  return [...out];
}

export interface AdversarialInput {
  label: string;
  text: string;
}

/** Every input for one expression, made lazily: a few hundred kilobytes at most at once. */
export function* adversarialInputs(source: string): Generator<AdversarialInput> {
  const own = charactersOf(source);
  const alphabet = [...new Set([...own, ' ', 'a', '0', '\t', '\n', '.', '-'])];
  // After nothing, after the literal the expression starts with, and after a character that
  // starts no match (so the run is not at the start of the text, where `^` would take it).
  const prefixes = [...new Set(['', leadingLiteral(source), TAIL])];
  // A run must end where the expression cannot go on: in a character nothing asks for, or in
  // one that a negated class refuses (`[^\s@]+$` fails only on the "@").
  const tails = [...new Set([TAIL, ...excludedCharacters(source).slice(0, 3)])];
  // Pairs from the expression's own characters (and a space and a letter), the ones its
  // alternations and overlapping quantifiers turn on; capped so a long class stays affordable.
  const pairChars = [...new Set([...own.slice(0, 8), ' ', 'a'])];
  const show = (prefix: string, body: string, count: number, tail: string) =>
    `${JSON.stringify(prefix)} + ${JSON.stringify(body)} × ${count} + ${JSON.stringify(tail)}`;
  for (const tail of tails) {
    for (const prefix of prefixes) {
      for (const c of alphabet) yield { label: show(prefix, c, RUN_LENGTH, tail), text: prefix + c.repeat(RUN_LENGTH) + tail };
    }
    for (const prefix of prefixes.slice(0, 2)) {
      for (const c of pairChars) {
        for (const d of pairChars) {
          if (c !== d) yield { label: show(prefix, c + d, PAIR_LENGTH / 2, tail), text: prefix + (c + d).repeat(PAIR_LENGTH / 2) + tail };
        }
      }
    }
  }
}
