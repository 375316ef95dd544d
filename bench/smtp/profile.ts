// Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it): self time by
// function and by module, and inclusive time of the functions of Mailroom and of the packages it
// calls, over an optional time window (microseconds on the monotonic clock that
// process.hrtime uses, which is also the profile's clock on Linux).
//
//   node --import tsx bench/smtp/profile.ts FILE.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Where a frame's code lives: a Mailroom source file, an npm package, a Node module, or V8/native. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:');
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    // keep the url
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  return relative(ROOT, path);
}

function frameKey(frame: CallFrame): string {
  const where = moduleOf(frame);
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return where;
  // Line numbers of Mailroom's files are those of tsx's output, not of the .ts source: left out.
  return where.startsWith('src/') ? `${name}  ${where}` : `${name}  ${where}:${frame.lineNumber + 1}`;
}

export interface ProfileSummary {
  /** Milliseconds of samples in the window, and of those not idle. */
  totalMs: number;
  busyMs: number;
  selfByFunction: [string, number][];
  selfByModule: [string, number][];
  /** Inclusive time (ms) of every function, counted once per sample however often it is on the stack. */
  inclusive: [string, number][];
  inclusiveByModule: [string, number][];
}

export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const selfModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveModule = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let t = profile.startTime;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(profile.samples[i]!)!;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    add(self, frameKey(node.callFrame), dt);
    add(selfModule, moduleOf(node.callFrame), dt);
    const seen = new Set<string>();
    const seenModules = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') break;
      const key = frameKey(frame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, dt);
      }
      const mod = moduleOf(frame);
      if (!seenModules.has(mod)) {
        seenModules.add(mod);
        add(inclusiveModule, mod, dt);
      }
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    busyMs: total - idle,
    selfByFunction: sorted(self),
    selfByModule: sorted(selfModule),
    inclusive: sorted(inclusive),
    inclusiveByModule: sorted(inclusiveModule),
  };
}

/** The summary as text: shares of the busy (non-idle) time. */
export function formatSummary(s: ProfileSummary, options: { top?: number; messages?: number } = {}): string {
  const top = options.top ?? 30;
  const pct = (ms: number) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)} %`;
  const perMessage = (ms: number) => (options.messages ? `${((1000 * ms) / options.messages).toFixed(0).padStart(5)} µs/msg` : '');
  const lines: string[] = [];
  lines.push(`Profile window ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / s.totalMs).toFixed(0)} % of one core)${options.messages ? `, ${options.messages} messages: ${((1000 * s.busyMs) / options.messages).toFixed(0)} µs of main-thread CPU per message` : ''}.`);
  lines.push('', 'Self time by module (share of busy time):');
  for (const [k, v] of s.selfByModule.slice(0, top)) lines.push(`  ${pct(v)} ${perMessage(v)}  ${k}`);
  lines.push('', 'Self time by function:');
  for (const [k, v] of s.selfByFunction.slice(0, top)) lines.push(`  ${pct(v)} ${perMessage(v)}  ${k}`);
  lines.push('', 'Inclusive time by module (each sample counted once per module on its stack):');
  for (const [k, v] of s.inclusiveByModule.filter(([k]) => !k.startsWith('(')).slice(0, top)) lines.push(`  ${pct(v)} ${perMessage(v)}  ${k}`);
  lines.push('', 'Inclusive time of Mailroom functions (src/):');
  for (const [k, v] of s.inclusive.filter(([k]) => k.includes(' src/')).slice(0, top)) lines.push(`  ${pct(v)} ${perMessage(v)}  ${k}`);
  return lines.join('\n');
}

export interface ThreadProfile {
  file: string;
  summary: ProfileSummary;
  /** The thread that runs the SMTP sessions (smtp-server's code is on its stacks). */
  main: boolean;
}

/**
 * `--cpu-prof` writes one profile per thread: the main thread's, the module loader's (tsx's
 * hooks) and one per worker thread the server starts. The main thread is the one running
 * smtp-server; the others come after it, busiest first.
 */
export function threadProfiles(files: string[], window?: { fromUs: number; toUs: number }): ThreadProfile[] {
  const all = files.map((file) => {
    const summary = summarizeProfile(file, window);
    return { file, summary, main: summary.inclusiveByModule.some(([m]) => m === 'smtp-server') };
  });
  return all.sort((a, b) => Number(b.main) - Number(a.main) || b.summary.busyMs - a.summary.busyMs);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, messages: { type: 'string' } } });
  for (const file of positionals) {
    console.log(formatSummary(summarizeProfile(file), { top: Number(values.top), ...(values.messages ? { messages: Number(values.messages) } : {}) }));
  }
}
