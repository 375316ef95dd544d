// The heartbeat text of a service (where it listens, the process running it) and its parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitProcessId, withProcessId } from '../../src/config/services.ts';
import { prng } from '../support/random.ts';

test('a heartbeat text splits into where the service listens and its process', () => {
  const table: [string, { listening: string; pid: number | null }][] = [
    ['127.0.0.1:143, 127.0.0.1:993 (TLS) (pid 4711)', { listening: '127.0.0.1:143, 127.0.0.1:993 (TLS)', pid: 4711 }],
    ['in-process (pid 12)', { listening: 'in-process', pid: 12 }],
    // A server of an earlier version reported no process.
    ['[::]:2525, 0.0.0.0:2525', { listening: '[::]:2525, 0.0.0.0:2525', pid: null }],
    ['running (pid )', { listening: 'running (pid )', pid: null }],
    ['running (pid 0)', { listening: 'running (pid 0)', pid: null }],
    ['running (pid x1)', { listening: 'running (pid x1)', pid: null }],
    ['running (pid 12', { listening: 'running (pid 12', pid: null }],
    ['', { listening: '', pid: null }],
  ];
  for (const [text, expected] of table) assert.deepEqual(splitProcessId(text), expected, text);
});

test('whatever a service describes, its process id comes back out unchanged', () => {
  const random = prng(7);
  const alphabet = 'abc:0123456789 ,()[]pid.';
  for (let i = 0; i < 2000; i++) {
    const listening = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const pid = 1 + Math.floor(random() * 4_000_000);
    assert.deepEqual(splitProcessId(withProcessId(listening, pid)), { listening, pid }, listening);
  }
});
