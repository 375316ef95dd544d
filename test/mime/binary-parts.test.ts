// Literal8 APPEND content (RFC 3516 §4.4) stored so BODY[] can return it: binary parts become
// base64 and BINARY[] still decodes them to the bytes that were sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransferEncoding, mimeType, scanMessage, sectionPart, storeBinaryParts, walkParts } from '../../src/mime/index.ts';
import type { BinaryStorage } from '../../src/mime/index.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const store = (raw: Buffer | string): BinaryStorage => {
  const data = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  return storeBinaryParts(data, scanMessage(data));
};
const stored = (raw: Buffer | string): Buffer => {
  const r = store(raw);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.data;
};
/** What BINARY[path] returns for the stored message. */
const binary = (raw: Buffer, path: number[]): Buffer => {
  const part = sectionPart(scanMessage(raw), path)!;
  return decodeTransferEncoding(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
};

test('a single-part binary message: base64 body, the field rewritten, BINARY[1] the bytes sent', () => {
  // imaptest's append-binary message.
  const body = Buffer.from([0x00, 0x2d, 0xe4, 0x0d, 0x0a, 0x0d, 0x0a]);
  const head = 'From: user@domain.org\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n';
  const out = stored(Buffer.concat([Buffer.from(head), body]));
  assert.equal(out.toString('latin1'), 'From: user@domain.org\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAC3kDQoNCg==\r\n');
  assert.deepEqual(binary(out, [1]), body);
  assert.ok(!out.includes(0));
});

test('only the parts that need it change; the rest is kept byte for byte', () => {
  const text = 'Content-Type: text/plain\r\n\r\nplain text\r\n';
  const message = [
    'Subject: mixed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n',
    `--b\r\n${text}`,
    '--b\r\nContent-Type: image/png\r\ncontent-transfer-encoding: BINARY\r\n\r\n\x89PNG\x00\x01\x02\r\n',
    '--b\r\nContent-Type: application/x-nul\r\n\r\nNUL\x00in 7bit\r\n',
    '--b--\r\n',
  ].join('');
  const out = stored(message);
  const parts = walkParts(scanMessage(out));
  assert.deepEqual(parts.map((p) => [mimeType(p), p.encoding]), [
    ['multipart/mixed', null], ['text/plain', null], ['image/png', 'base64'], ['application/x-nul', 'base64'],
  ]);
  assert.ok(out.toString('latin1').startsWith(`Subject: mixed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\n${text}--b\r\n`));
  assert.equal(binary(out, [2]).toString('latin1'), '\x89PNG\x00\x01\x02');
  assert.equal(binary(out, [3]).toString('latin1'), 'NUL\x00in 7bit');
  // A header without the field gets one after its last field.
  assert.match(out.toString('latin1'), /Content-Type: application\/x-nul\r\nContent-Transfer-Encoding: base64\r\n\r\nTlVMAGluIDdiaXQ=\r\n--b--/);
  const r = store(message);
  assert.equal(r.ok && r.converted, 2);
});

test('nothing to convert: the same buffer comes back', () => {
  const plain = Buffer.from('Subject: hi\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n', 'latin1');
  const r = store(plain);
  assert.ok(r.ok);
  assert.equal(r.data, plain);
  assert.equal(r.converted, 0);
});

test('NUL that no encoding can carry is refused', () => {
  for (const raw of [
    'Subject: a\x00b\r\n\r\nbody\r\n',
    'Content-Type: multipart/mixed; boundary=b\r\n\r\npre\x00amble\r\n--b\r\n\r\nx\r\n--b--\r\n',
    'Content-Transfer-Encoding: base64\r\n\r\nAAAA\x00\r\n',
    'Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\x00\r\n',
    // message/rfc822 may not be base64 (RFC 2046 §5.2.1), so NUL in a header inside one stays.
    'Content-Type: message/rfc822\r\n\r\nSubject: in\x00ner\r\n\r\nbody\r\n',
  ]) {
    const r = store(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
  }
});

test('parts inside message/rfc822 are converted in place; bare-LF messages keep bare LF', () => {
  const nested = 'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\r\n';
  const out = stored(nested);
  assert.equal(out.toString('latin1'), 'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Transfer-Encoding: base64\r\n\r\nAAENCg==\r\n');
  assert.deepEqual([...binary(out, [1, 1])], [0, 1, 13, 10]);
  const lf = stored('Subject: lf\nContent-Transfer-Encoding: binary\n\n\x00abc');
  assert.equal(lf.toString('latin1'), 'Subject: lf\nContent-Transfer-Encoding: base64\n\nAGFiYw==\n');
  const cutOff = stored('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: a/b\r\n\r\n\x00\r\n--b\r\nX-Last: no break');
  assert.ok(!cutOff.includes(0));
});

test('long bodies are wrapped at 76 characters (RFC 2045 §6.8)', () => {
  const body = Buffer.alloc(300, 0xff);
  const out = stored(Buffer.concat([Buffer.from('Content-Transfer-Encoding: binary\r\n\r\n'), body]));
  const lines = out.toString('latin1').split('\r\n\r\n')[1]!.split('\r\n').filter((l) => l !== '');
  assert.ok(lines.every((l) => l.length <= 76));
  assert.equal(lines.slice(0, -1).every((l) => l.length === 76), true);
  assert.deepEqual(binary(out, [1]), body);
});

/** A random MIME tree of binary, 7bit-with-NUL and text leaves, with what BINARY[n] must return. */
function randomMessage(random: () => number): { raw: Buffer; leaves: Map<string, Buffer> } {
  const leaves = new Map<string, Buffer>();
  const payload = () => Buffer.from(Array.from({ length: randomInt(random, 200) }, () => pick(random, [0, 0x0d, 0x0a, 0x2d, 0x41, 0xff, randomInt(random, 256)])));
  const leaf = (path: string): Buffer => {
    const kind = randomInt(random, 3);
    if (kind === 2) {
      const text = Buffer.from(`text ${path}\r\n`);
      leaves.set(path, text);
      return Buffer.concat([Buffer.from('Content-Type: text/plain\r\n\r\n'), text]);
    }
    // Bytes that could look like a boundary line are not binary-safe in any MIME body; keep them out.
    let body = payload();
    while (body.includes('\n--')) body = payload();
    leaves.set(path, body);
    const header = kind === 0 ? 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n' : 'Content-Type: application/x-raw\r\n\r\n';
    return Buffer.concat([Buffer.from(header), body]);
  };
  const children = 1 + randomInt(random, 4);
  const pieces: Buffer[] = [Buffer.from('Subject: random\r\nContent-Type: multipart/mixed; boundary="==b=="\r\n\r\n')];
  for (let i = 1; i <= children; i++) pieces.push(Buffer.from('\r\n--==b==\r\n'), leaf(String(i)));
  pieces.push(Buffer.from('\r\n--==b==--\r\n'));
  return { raw: Buffer.concat(pieces), leaves };
}

test('property: what BINARY[n] returns is the bytes sent, and no NUL is left for BODY[]', () => {
  const random = prng(0x5eed3516);
  for (let round = 0; round < 300; round++) {
    const { raw, leaves } = randomMessage(random);
    const out = stored(raw);
    assert.ok(!out.includes(0));
    for (const [path, bytes] of leaves) assert.deepEqual(binary(out, path.split('.').map(Number)), bytes, `round ${round}, part ${path}`);
    assert.equal(walkParts(scanMessage(out)).length, walkParts(scanMessage(raw)).length);
    // Storing the stored form again changes nothing.
    const again = store(out);
    assert.ok(again.ok && again.converted === 0 && again.data === out);
  }
});
