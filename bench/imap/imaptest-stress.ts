// Dovecot's imaptest in its stress mode (issue 16): clients doing imaptest's default mix of random
// commands (SELECT, FETCH, STORE, EXPUNGE, APPEND, LOGOUT…) on a few shared mailboxes while it
// checks that the answers stay consistent; commands per second, Mailroom and Dovecot in the same
// run, taking turns, with the consistency errors imaptest reports.
//
//   node --import tsx bench/imap/imaptest-stress.ts [--clients 10,50] [--rounds 3] [--seconds 20]
//        [--servers mailroom,dovecot] [--layout proxied|all] [--users 20]
//
// imaptest is built by test/tools/imaptest/build.sh (tmp/imaptest/, or MAILROOM_IMAPTEST). Both
// servers get the same empty mailboxes u1…uN; imaptest fills them by APPEND from an mbox of the
// MIME test messages, as test/imap/imaptest.test.ts does. imaptest's default mix logs out and
// on again all the time, so logons are a large part of it. BENCH_IMAPTEST_RAW=1 prints what
// imaptest printed. Not part of npm test.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImapUser } from './corpus.ts';
import { treeCpuSeconds } from './procfs.ts';
import { writeStressMbox } from '../../test/support/stress-mbox.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget, type MailroomLayout, type Target } from './targets.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TOOL = process.env.MAILROOM_IMAPTEST ?? join(ROOT, 'tmp', 'imaptest', 'imaptest');
const PASSWORD = 'Stress-Bench-2026';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10,50' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    servers: { type: 'string', default: 'mailroom,dovecot' },
    layout: { type: 'string', default: 'proxied' },
    users: { type: 'string', default: '20' },
  },
});
if (!existsSync(TOOL)) throw new Error(`imaptest not found at ${TOOL}: bash test/tools/imaptest/build.sh tmp/imaptest`);
const USERS = Number(values.users);


interface Run {
  commandsPerSecond: number;
  cpuCores: number;
  errors: number;
  byCommand: Record<string, number>;
}

/** One imaptest stress run; its totals line counts each command type over the whole run. */
function stress(target: Target, clients: number, seconds: number, mbox: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const cpu0 = treeCpuSeconds(target.pid);
    const t0 = performance.now();
    const child = spawn(TOOL, [
      'host=127.0.0.1', `port=${target.plainPort}`, 'user=u%d', `users=${USERS}`, `pass=${PASSWORD}`,
      `mbox=${mbox}`, `clients=${clients}`, `secs=${seconds}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const elapsed = (performance.now() - t0) / 1000;
      if (process.env.BENCH_IMAPTEST_RAW) console.log(output);
      const cpu = treeCpuSeconds(target.pid) - cpu0;
      const lines = output.split('\n');
      const header = lines.findIndex((l) => l.startsWith('Logi List'));
      if (header < 0) return reject(new Error(`${target.name}: no totals in imaptest's output:\n${output.slice(-2000)}`));
      const names = lines[header]!.trim().split(/\s+/);
      const totals = lines.slice(header + 1).map((l) => l.trim().split(/\s+/)).find((t) => t.length >= names.length && t.every((x) => /^\d+$/.test(x)));
      if (!totals) return reject(new Error(`${target.name}: no totals line:\n${output.slice(-2000)}`));
      const byCommand = Object.fromEntries(names.map((n, i) => [n, Number(totals[i])]));
      const commands = Object.values(byCommand).reduce((a, b) => a + b, 0);
      resolvePromise({
        commandsPerSecond: commands / seconds,
        cpuCores: cpu / elapsed,
        errors: lines.filter((l) => l.startsWith('Error:')).length,
        byCommand,
      });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'imaptest-stress-'));
const mbox = join(work, 'stress.mbox');
writeStressMbox(mbox);
const users: ImapUser[] = Array.from({ length: USERS }, (_, i) => ({ name: `u${i + 1}`, password: PASSWORD, messages: [], seen: [] }));
// Mailroom keeps a verified password for a minute; Dovecot gets its auth cache for as long, so
// that a logon costs both the same hashing (once a minute per user), not Dovecot a hash each time.
const options = { users, idleUsers: [], maxConnections: 200, dovecotAuthCache: true };
const wanted = values.servers!.split(',');
const targets: Target[] = [];
if (wanted.includes('mailroom')) targets.push(await startMailroomTarget(options, values.layout as MailroomLayout));
if (wanted.includes('dovecot') && dovecotAvailable()) targets.push(await startDovecotTarget(options));
const seconds = Number(values.seconds);
console.log(`imaptest stress (${TOOL}), ${USERS} users, ${seconds} s a run: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
try {
  for (const clients of values.clients!.split(',').map(Number)) {
    const runs = new Map<Target, Run[]>(targets.map((t) => [t, []]));
    for (const t of targets) await stress(t, clients, 5, mbox); // warm-up
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const t of targets) {
        const run = await stress(t, clients, seconds, mbox);
        runs.get(t)!.push(run);
        console.log(`  ${clients} clients, ${t.name}: ${run.commandsPerSecond.toFixed(0)} commands/s, ${run.cpuCores.toFixed(2)} cores, ${run.errors} errors`);
      }
    }
    console.log(`\n${clients} clients | commands/s (median; runs) | server cores | imaptest errors\n---|---|---|---`);
    for (const [t, rs] of runs) {
      console.log(`${t.name} ${t.version} | ${median(rs.map((r) => r.commandsPerSecond)).toFixed(0)} (${rs.map((r) => r.commandsPerSecond.toFixed(0)).join(', ')}) | ${median(rs.map((r) => r.cpuCores)).toFixed(2)} | ${rs.reduce((n, r) => n + r.errors, 0)}`);
    }
    console.log('');
  }
} finally {
  for (const t of targets) await t.stop();
  rmSync(work, { recursive: true, force: true });
}
