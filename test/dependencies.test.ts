// Dependencies: mailauth parses addresses with the project's nodemailer (package.json
// overrides), and the offline part of scripts/audit.mjs (`npm run check`) refuses a lock file
// that brings back an advisory it lists or a package without an integrity hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';

const require = createRequire(import.meta.url);

test("mailauth loads the project's nodemailer, not the 8.0.7 it asks for", () => {
  const fromMailauth = createRequire(require.resolve('mailauth')).resolve('nodemailer/package.json');
  assert.equal(fromMailauth, require.resolve('nodemailer/package.json'));
  const version = (JSON.parse(readFileSync(fromMailauth, 'utf8')) as { version: string }).version;
  assert.ok(Number(version.split('.')[0]) >= 10, version);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  assert.equal(lock.packages['node_modules/mailauth/node_modules/nodemailer'], undefined);
  assert.equal(lock.packages['node_modules/nodemailer']!.version, version);
});

function audit(lock: unknown): { status: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-audit-'));
  try {
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'audit.mjs'), '--lock', join(dir, 'package-lock.json'), '--offline'], { encoding: 'utf8' });
    return { status: r.status ?? -1, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the offline audit passes the lock file and refuses one with an advisory or without integrity', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const ok = audit(lock);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /offline checks passed/);

  const before = structuredClone(lock);
  before.packages['node_modules/mailauth/node_modules/nodemailer'] = { version: '8.0.7', integrity: 'sha512-x', license: 'MIT-0' };
  const vulnerable = audit(before);
  assert.equal(vulnerable.status, 1);
  assert.match(vulnerable.out, /node_modules\/mailauth\/node_modules\/nodemailer 8\.0\.7: GHSA-2x7j-588g-ccc2/);

  const loose = structuredClone(lock);
  delete loose.packages['node_modules/libmime']!.integrity;
  const unchecked = audit(loose);
  assert.equal(unchecked.status, 1);
  assert.match(unchecked.out, /node_modules\/libmime .*no integrity hash/);
});
