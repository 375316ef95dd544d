// Table tests over test/mime/fixtures: part tree, byte offsets, sizes, line counts,
// BODYSTRUCTURE, BODY and ENVELOPE against the expectations stored beside each message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bodyBasic, bodyStructure, envelope, mimeType, scanMessage, walkParts } from '../../src/mime/index.ts';
import { FIXTURES } from './fixture-defs.ts';
import { expectationFor, FIXTURE_DIR, materialize } from './make-fixtures.ts';
import type { ExpectedJson } from './make-fixtures.ts';

const names = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => f.slice(0, -4))
  .sort();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('there are at least 40 fixtures, each with its expectations', () => {
  assert.ok(names.length >= 40, `only ${names.length} fixtures`);
  for (const name of names) assert.doesNotThrow(() => readFileSync(join(FIXTURE_DIR, `${name}.expected.json`)), name);
});

test('fixture files match their definitions (run make-fixtures.ts after editing fixture-defs.ts)', () => {
  assert.deepEqual(names, FIXTURES.map((f) => f.name).sort());
  for (const def of FIXTURES) {
    const onDisk = readFileSync(join(FIXTURE_DIR, `${def.name}.eml`));
    assert.ok(materialize(def).raw.equals(onDisk), `${def.name}.eml is stale`);
    const expected = JSON.parse(readFileSync(join(FIXTURE_DIR, `${def.name}.expected.json`), 'utf8')) as ExpectedJson;
    assert.deepEqual(expected, expectationFor(def).expected, `${def.name}.expected.json is stale`);
  }
});

for (const name of names) {
  test(`fixture ${name}`, () => {
    const raw = readFileSync(join(FIXTURE_DIR, `${name}.eml`));
    const expected = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.expected.json`), 'utf8')) as ExpectedJson;
    const root = scanMessage(raw);
    const parts = walkParts(root);

    assert.deepEqual(
      parts.map((p) => mimeType(p)),
      expected.parts.map((p) => p.type),
      'part types in document order',
    );
    parts.forEach((part, i) => {
      const want = expected.parts[i]!;
      const label = `${name} part #${i} (${want.type})`;
      const body = raw.subarray(part.bodyStart, part.bodyEnd);
      const header = raw.subarray(part.headerStart, part.headerEnd);
      assert.equal(part.headerEnd, part.bodyStart, `${label}: header ends where body starts`);
      assert.equal(part.bodySize, body.length, `${label}: size is the byte length`);
      assert.equal(part.bodySize, want.size, `${label}: size`);
      assert.equal(part.bodyLines, want.lines, `${label}: lines`);
      if (want.body !== undefined) assert.equal(body.toString('utf8'), want.body, `${label}: body`);
      if (want.bodyBase64 !== undefined) assert.equal(body.toString('base64'), want.bodyBase64, `${label}: body`);
      if (want.bodySha256 !== undefined) assert.equal(sha256(body), want.bodySha256, `${label}: body digest`);
      if (want.header !== undefined) assert.equal(header.toString('utf8'), want.header, `${label}: header`);
      if (want.headerSha256 !== undefined) assert.equal(sha256(header), want.headerSha256, `${label}: header digest`);
    });

    assert.equal(bodyStructure(raw, root), expected.bodystructure, 'BODYSTRUCTURE');
    assert.equal(bodyBasic(raw, root), expected.body, 'BODY');
    assert.equal(envelope(raw, root, false), expected.envelope, 'ENVELOPE');
    assert.equal(envelope(raw, root, true), expected.envelopeUtf8, 'ENVELOPE with UTF8=ACCEPT');
  });
}
