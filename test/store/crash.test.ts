// Crash safety of the SQLite engine (DESIGN.md §2): a message is acknowledged only after it is
// durably committed, and killing the process at any moment loses nothing acknowledged and leaves
// no half message. A child process appends self-checking messages 8 at a time and prints an ACK
// line after each append resolves; we SIGKILL it mid-stream, reopen the store and check, three
// times over on the same folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { CRASH_MAILBOX, crashMessage, isWholeCrashMessage, sha256Hex } from './crash-message.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'crash-child.ts');
const WANTED_ACKS = 300;
const MAX_APPEND_MS = 5000;
const STARTUP_MS = 15_000;

const folder = mkdtempSync(join(tmpdir(), 'mailroom-crash-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/**
 * Runs the child until it has acknowledged WANTED_ACKS appends (or MAX_APPEND_MS passed and at
 * least one was acknowledged: a loaded machine may be slow to the first), then SIGKILLs it.
 */
function runAndKill(run: string): Promise<Map<number, string>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, folder, run], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent' },
    });
    const acks = new Map<number, string>();
    let pending = '';
    let stderr = '';
    let killed = false;
    let killAtFirstAck = false;
    let appendTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (killed) return;
      killed = true;
      clearTimeout(appendTimer);
      clearTimeout(startupTimer);
      child.kill('SIGKILL');
    };
    const startupTimer = setTimeout(kill, STARTUP_MS);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? ''; // a line cut by the kill is not an acknowledgement
      for (const line of lines) {
        if (line === 'READY') {
          clearTimeout(startupTimer);
          appendTimer = setTimeout(() => (acks.size > 0 ? kill() : (killAtFirstAck = true)), MAX_APPEND_MS);
          continue;
        }
        const m = /^ACK (\d+) ([0-9a-f]{64})$/.exec(line);
        if (!m) continue;
        const uid = Number(m[1]);
        if (acks.has(uid)) {
          kill();
          reject(new Error(`run ${run}: UID ${uid} acknowledged twice`));
          return;
        }
        acks.set(uid, m[2]!);
        if (acks.size >= WANTED_ACKS || killAtFirstAck) kill();
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(appendTimer);
      clearTimeout(startupTimer);
      if (!killed) reject(new Error(`run ${run}: the child exited by itself (code ${code}, signal ${signal}):\n${stderr}`));
      else if (signal !== 'SIGKILL') reject(new Error(`run ${run}: expected death by SIGKILL, got code ${code} signal ${signal}:\n${stderr}`));
      else if (acks.size === 0) reject(new Error(`run ${run}: no append was acknowledged before the kill:\n${stderr}`));
      else resolvePromise(acks);
    });
  });
}

test('SIGKILL during appends loses no acknowledged message and leaves no half message, three times over', { timeout: 60_000 }, async (t) => {
  const acknowledged = new Map<number, string>();
  for (let run = 1; run <= 3; run++) {
    const acks = await runAndKill(`run${run}`);
    for (const [uid, sha] of acks) {
      assert.ok(!acknowledged.has(uid), `run ${run}: UID ${uid} was acknowledged in an earlier run too (UID reused)`);
      acknowledged.set(uid, sha);
    }

    const store = await SqliteMailStore.open(folder);
    try {
      const inbox = await store.folder(CRASH_MAILBOX, 'INBOX');
      assert.ok(inbox, `run ${run}: INBOX exists after recovery`);
      const messages = await store.messages(inbox.id);
      const status = await store.status(inbox.id);
      const uids = messages.map((m) => m.uid);
      const maxUid = Math.max(0, ...uids);

      assert.equal(new Set(uids).size, uids.length, `run ${run}: UIDs are distinct`);
      assert.equal(status.messages, messages.length, `run ${run}: status().messages equals the rows messages() returns`);
      assert.ok(status.uidNext > maxUid, `run ${run}: UIDNEXT ${status.uidNext} is above the highest UID ${maxUid}`);
      assert.equal(status.size, messages.reduce((n, m) => n + m.size, 0), `run ${run}: status().size is the sum of the sizes`);
      const usage = await store.usage(CRASH_MAILBOX);
      assert.equal(usage.messages, messages.length, `run ${run}: usage counts the same messages (one transaction)`);
      assert.equal(usage.bytes, status.size, `run ${run}: usage bytes equal the folder size`);
      assert.ok(status.highestModseq >= Math.max(0, ...messages.map((m) => m.modseq)), `run ${run}: HIGHESTMODSEQ covers every message`);

      const byUid = new Map(messages.map((m) => [m.uid, m]));
      const lost: number[] = [];
      for (const [uid, sha] of acknowledged) {
        const m = byUid.get(uid);
        if (!m) {
          lost.push(uid);
          continue;
        }
        const raw = await store.readBlob(m.blobId);
        assert.equal(sha256Hex(raw), sha, `run ${run}: acknowledged UID ${uid} has the acknowledged bytes`);
      }
      assert.deepEqual(lost, [], `run ${run}: acknowledged UIDs missing after the kill`);
      t.diagnostic(`run ${run}: ${acks.size} appends acknowledged before SIGKILL; ${messages.length} messages present, ${acknowledged.size} acknowledged in all`);

      for (const m of messages) {
        const raw = await store.readBlob(m.blobId);
        assert.equal(raw.length, m.size, `run ${run}: UID ${m.uid} size matches its bytes`);
        assert.ok(isWholeCrashMessage(raw), `run ${run}: UID ${m.uid} is a whole message`);
      }

      // The store keeps working after recovery and continues above every UID ever seen.
      const raw = crashMessage(`parent${run}`, 0);
      const appended = await store.append(inbox.id, { raw });
      const highestSeen = Math.max(maxUid, ...acknowledged.keys());
      assert.ok(appended.uid > highestSeen, `run ${run}: UID ${appended.uid} after recovery is above ${highestSeen}`);
      assert.equal(appended.uidValidity, status.uidValidity, `run ${run}: UIDVALIDITY is unchanged by a crash`);
      acknowledged.set(appended.uid, sha256Hex(raw));
    } finally {
      await store.close();
    }
  }
});
