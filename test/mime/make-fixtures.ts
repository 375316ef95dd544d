// Writes test/mime/fixtures/<name>.eml and <name>.expected.json from fixture-defs.ts.
//
//   node --import tsx test/mime/make-fixtures.ts
//
// Part bodies, sizes and line counts in the expectations come from the fixture builder (or,
// for hand-written raw messages, from the bodies written out in fixture-defs.ts). BODYSTRUCTURE,
// BODY and ENVELOPE come from fixture-defs.ts, never from the implementation: a fixture
// without one of them is refused (scripts/mime-oracle.ts shows Dovecot's answers to check one
// against).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanMessage } from '../../src/mime/index.ts';
import { countLines, render, toBytes } from './fixture-builder.ts';
import type { ExpectedPart } from './fixture-builder.ts';
import { FIXTURES } from './fixture-defs.ts';
import type { FixtureDef, PartInfo } from './fixture-defs.ts';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface ExpectedPartJson {
  type: string;
  size: number;
  lines: number;
  header?: string;
  headerSha256?: string;
  body?: string;
  bodyBase64?: string;
  bodySha256?: string;
}

export interface ExpectedJson {
  description: string;
  parts: ExpectedPartJson[];
  bodystructure: string;
  body: string;
  envelope: string;
  envelopeUtf8: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function isPrintableUtf8(b: Buffer): boolean {
  const text = b.toString('utf8');
  return Buffer.from(text, 'utf8').equals(b) && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
}

/** Text when it is readable and short, else base64 or a digest. */
function describeBytes(b: Buffer, key: 'body' | 'header'): Partial<ExpectedPartJson> {
  if (b.length > 3000) return { [`${key}Sha256`]: sha256(b) };
  if (isPrintableUtf8(b)) return { [key]: b.toString('utf8') };
  return key === 'body' ? { bodyBase64: b.toString('base64') } : { headerSha256: sha256(b) };
}

export function materialize(def: FixtureDef): { raw: Buffer; parts: ExpectedPart[] | { type: string; body: Buffer }[] } {
  const eol = def.eol ?? '\r\n';
  if (def.tree !== undefined) {
    const parts: ExpectedPart[] = [];
    const raw = render(def.tree, eol, parts);
    return { raw, parts };
  }
  if (def.raw === undefined || def.parts === undefined) throw new Error(`${def.name}: needs tree, or raw with parts`);
  return { raw: toBytes(def.raw, eol), parts: def.parts.map((p) => ({ type: p.type, body: toBytes(p.body, eol) })) };
}

export function expectationFor(def: FixtureDef): { raw: Buffer; expected: ExpectedJson } {
  const { raw, parts } = materialize(def);
  const partJson: ExpectedPartJson[] = parts.map((p) => ({
    type: p.type,
    size: p.body.length,
    lines: countLines(p.body),
    ...('header' in p ? describeBytes(p.header, 'header') : {}),
    ...describeBytes(p.body, 'body'),
  }));
  const info: PartInfo[] = partJson.map((p) => ({ type: p.type, size: p.size, lines: p.lines }));
  const given = (key: string, value: string | undefined): string => {
    if (value === undefined) throw new Error(`${def.name}: no ${key} in fixture-defs.ts`);
    return value;
  };
  const envelope = given('envelope', def.envelope);
  // RFC 6855 §3: UTF8=ACCEPT changes only how 8-bit text may be sent, so for a header in
  // 7 bits the ENVELOPE is the same with it; one with 8-bit text needs its own.
  const root = scanMessage(raw);
  const header7bit = raw.subarray(root.headerStart, root.headerEnd).every((b) => b < 0x80);
  const expected: ExpectedJson = {
    description: def.description,
    parts: partJson,
    bodystructure: given('bodystructure', def.bodystructure?.(info)),
    body: given('body', def.body?.(info)),
    envelope,
    envelopeUtf8: given('envelopeUtf8 (the header has 8-bit text)', def.envelopeUtf8 ?? (header7bit ? envelope : undefined)),
  };
  return { raw, expected };
}

function main(): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const f of readdirSync(FIXTURE_DIR)) {
    if (f.endsWith('.eml') || f.endsWith('.expected.json')) unlinkSync(join(FIXTURE_DIR, f));
  }
  const names = new Set<string>();
  for (const def of FIXTURES) {
    if (names.has(def.name)) throw new Error(`duplicate fixture ${def.name}`);
    names.add(def.name);
    const { raw, expected } = expectationFor(def);
    writeFileSync(join(FIXTURE_DIR, `${def.name}.eml`), raw);
    writeFileSync(join(FIXTURE_DIR, `${def.name}.expected.json`), JSON.stringify(expected, null, 2) + '\n');
  }
  console.log(`wrote ${FIXTURES.length} fixtures to ${FIXTURE_DIR}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
