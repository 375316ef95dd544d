// Layers point one way (DESIGN.md §4): lib, mime and */protocol at the bottom; store,
// directory, config and auth above them; the protocols above those; frontend, backend, web,
// cli and host above those; main on top. This test reads every import and keeps it so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(path: string): number {
  const rel = relative(SRC, path).split('/');
  const top = rel[0]!;
  if (rel.length === 1) return 5; // main.ts
  if (top === 'lib' || top === 'mime' || rel[1] === 'protocol' || (top === 'migration' && rel[1] === 'formats')) return 0;
  if (['store', 'directory', 'config', 'auth'].includes(top)) return 1;
  if (['imap', 'pop3', 'smtp', 'migration'].includes(top)) return 2;
  if (['frontend', 'backend', 'web', 'cli', 'host'].includes(top)) return 3;
  throw new Error(`unknown layer for ${rel.join('/')}`);
}

test('imports never point to a higher layer', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      const target = resolve(dirname(file), m[1] ?? m[2]!);
      const from = layerOf(file);
      const to = layerOf(target);
      // The protocol sessions are started by the front end and host; host/cli/frontend share a layer.
      if (to > from) violations.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('pure modules do no I/O', () => {
  const pure = files(SRC).filter((f) => relative(SRC, f).startsWith('mime/') || relative(SRC, f).includes('/protocol/') || relative(SRC, f).startsWith('migration/formats/'));
  const offenders = pure.filter((f) => /from\s+'node:(fs|net|tls|http|child_process|dgram)'/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => relative(SRC, f)), []);
});
