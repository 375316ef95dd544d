// Compares the part tree (content types in document order) with Python's email package, an
// independent MIME parser, for every fixture. Skipped when python3 is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mimeType, scanMessage, walkParts } from '../../src/mime/index.ts';
import { FIXTURE_DIR } from './make-fixtures.ts';

const PYTHON = `
import email, email.policy, json, sys
out = {}
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.compat32)
    out[path] = [part.get_content_type() for part in msg.walk()]
print(json.dumps(out))
`;

/**
 * Fixtures where Python's email package reads the message differently, what it reports, and
 * why ours is the reading IMAP needs.
 */
const KNOWN_DIFFERENCES: Record<string, { python: string[]; why: string }> = {
  'base64-rfc822': {
    python: ['multipart/mixed', 'text/plain', 'message/rfc822', 'text/plain'],
    why: 'Python parses the base64 text of the message/rfc822 part as if it were a message (a header-less text/plain). RFC 2046 §5.2.1 forbids encodings other than 7bit/8bit/binary there; the encoded bytes are not a message until decoded, so the part is left opaque.',
  },
  'dsn-report': {
    python: ['multipart/report', 'text/plain', 'message/delivery-status', 'text/plain', 'text/plain', 'text/rfc822-headers'],
    why: 'Python represents the RFC 3464 field groups of message/delivery-status as sub-messages. They are not MIME parts: IMAP (and RFC 3464) treat message/delivery-status as one leaf body.',
  },
  'dsn-with-message': {
    python: ['multipart/report', 'text/plain', 'message/delivery-status', 'text/plain', 'text/plain', 'message/rfc822', 'text/plain'],
    why: 'As dsn-report: the delivery-status field groups are not MIME parts.',
  },
  'duplicate-boundaries': {
    python: ['multipart/mixed', 'multipart/alternative', 'text/plain'],
    why: 'The inner multipart reuses the outer boundary (RFC 2046 §5.1.1 forbids it). After the inner close delimiter Python keeps matching the boundary for the closed inner part and drops the last outer part into its epilogue; a closed multipart takes no more parts, so ours gives the line to the outer multipart and loses no content.',
  },
  'folded-params-comments': {
    python: ['multipart/mixed (comment)', 'text/plain'],
    why: 'Python keeps the RFC 822 comment in the media type. Comments are allowed in structured MIME fields (RFC 2045 §5.1) and are not part of the type.',
  },
  'multipart-empty-boundary': {
    python: ['multipart/related', 'text/html'],
    why: 'Python accepts boundary="" and splits on bare "--" lines. RFC 2046 §5.1.1 requires at least one boundary character; the body is left opaque.',
  },
};

const havePython = spawnSync('python3', ['-c', 'import email'], { encoding: 'utf8' }).status === 0;

test('part trees agree with Python email (compat32) for every fixture', { skip: havePython ? false : 'python3 not available' }, () => {
  const files = readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => join(FIXTURE_DIR, f));
  const run = spawnSync('python3', ['-c', PYTHON, ...files], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(run.status, 0, run.stderr);
  const python = JSON.parse(run.stdout) as Record<string, string[]>;
  let agreed = 0;
  for (const file of files) {
    const name = file.slice(FIXTURE_DIR.length + 1, -4);
    const ours = walkParts(scanMessage(readFileSync(file))).map(mimeType);
    const theirs = python[file]!;
    const known = KNOWN_DIFFERENCES[name];
    if (known === undefined) {
      assert.deepEqual(ours, theirs, `${name}: part tree differs from Python's`);
      agreed++;
    } else if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      assert.deepEqual(theirs, known.python, `${name}: Python's reading changed; update KNOWN_DIFFERENCES`);
    }
  }
  assert.ok(agreed >= 40, `only ${agreed} fixtures compared`);
});
