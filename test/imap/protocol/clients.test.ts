// Every line a real client sent in the recorded sessions (fixtures/clients/, copies of the
// project's client-compatibility corpus) must parse: commands through parseCommand(), SASL
// responses through readAuthenticateResponse(), and IDLE's DONE through isIdleDone().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isIdleDone, literalAnnouncement, parseCommand, readAuthenticateResponse, type Segment,
} from '../../../src/imap/protocol/index.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'clients');

/** Credentials in the recordings are placeholders; a SASL PLAIN response stands in for them. */
const SASL_PLACEHOLDER = /^<base64 of .*>$/;
const SAMPLE_SASL = Buffer.from('\0user\0password').toString('base64');

interface Recording {
  file: string;
  /** The "Client commands used (count)" summary in the file's header. */
  declared: Map<string, number>;
  /** Client lines per connection. */
  connections: string[][];
}

function readRecording(file: string): Recording {
  const text = readFileSync(join(DIR, file), 'utf8');
  const declared = new Map<string, number>();
  const summary = /^# Client commands used \(count\): (.*)$/m.exec(text);
  for (const entry of summary?.[1]?.split(', ') ?? []) {
    const m = /^(.*) (\d+)$/.exec(entry);
    if (m) declared.set(m[1]!, Number(m[2]));
  }
  const connections: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# ---- connection')) connections.push([]);
    else if (line.startsWith('C: ')) connections[connections.length - 1]?.push(line.slice(3));
  }
  return { file, declared, connections };
}

type Step = { kind: 'command'; segments: Segment[]; line: string } | { kind: 'sasl'; line: string } | { kind: 'done'; line: string };

/** Splits one connection's client lines into commands (with literals), SASL lines and DONEs. */
function steps(lines: string[]): Step[] {
  const out: Step[] = [];
  let expect: 'command' | 'sasl' | 'done' = 'command';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (expect === 'sasl') {
      out.push({ kind: 'sasl', line });
      expect = 'command';
      continue;
    }
    if (expect === 'done' && isIdleDone(line)) {
      out.push({ kind: 'done', line });
      expect = 'command';
      continue;
    }
    const segments: Segment[] = [];
    let text = Buffer.from(line, 'utf8');
    for (let ann = literalAnnouncement(text); ann !== null; ann = literalAnnouncement(text)) {
      // A literal's bytes arrive as further C: lines in the recordings.
      let data = Buffer.alloc(0);
      while (data.length < ann.size && i + 1 < lines.length) {
        data = Buffer.concat([data, data.length > 0 ? Buffer.from('\r\n') : Buffer.alloc(0), Buffer.from(lines[++i]!, 'utf8')]);
      }
      segments.push({ text, literal: data.subarray(0, ann.size) });
      text = data.subarray(ann.size);
    }
    segments.push({ text });
    out.push({ kind: 'command', segments, line });
    const words = line.split(' ');
    const name = words[1]?.toUpperCase();
    if (name === 'AUTHENTICATE' && words.length === 3) expect = 'sasl';
    else if (name === 'IDLE') expect = 'done';
  }
  return out;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

test('the client corpus is there', () => {
  assert.ok(files.length >= 2, `recordings in ${DIR}`);
});

for (const file of files) {
  test(`every client line of ${file} parses`, () => {
    const recording = readRecording(file);
    const used = new Map<string, number>();
    let commands = 0;
    for (const connection of recording.connections) {
      for (const step of steps(connection)) {
        if (step.kind === 'sasl') {
          const line = SASL_PLACEHOLDER.test(step.line) ? SAMPLE_SASL : step.line;
          assert.equal(readAuthenticateResponse(line).cancelled, false, step.line);
          continue;
        }
        if (step.kind === 'done') continue;
        const command = parseCommand(step.segments);
        assert.equal(command.tag, step.line.split(' ')[0], step.line);
        const name = command.uid ? `UID ${command.command}` : command.command;
        used.set(name, (used.get(name) ?? 0) + 1);
        commands++;
      }
    }
    assert.ok(commands > 10, `${commands} commands in ${file}`);
    // The file's own summary of what the client sent matches what was parsed.
    assert.deepEqual(new Map([...used].sort()), new Map([...recording.declared].sort()));
  });
}
