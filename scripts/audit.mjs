#!/usr/bin/env node
// The dependency audit of `npm run check`. First, offline: package-lock.json is checked against
// the advisories listed below (ones that reached Mailroom's own code paths) and every package
// must carry an integrity hash. Then, when the npm registry answers, `npm audit --omit=dev
// --audit-level=moderate` over the same lock file. When the registry's audit service cannot be
// reached the script says so and passes on the offline checks alone.
//
//   node scripts/audit.mjs [--lock path/to/package-lock.json] [--offline]
//   MAILROOM_AUDIT_OFFLINE=1 has the effect of --offline.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Versions below `fixed` are refused wherever they sit in the tree. Each entry says why the
 * advisory matters here, so it can be dropped once no version in reach is affected.
 */
const ADVISORIES = [
  {
    id: 'GHSA-2x7j-588g-ccc2',
    name: 'nodemailer',
    // The address parser's linear rewrite ("handle address lists in linear time") is in 9.1.0.
    fixed: '9.1.0',
    why: 'quadratic address parsing; mailauth runs it on the From field of every inbound message',
  },
];

const args = process.argv.slice(2);
const lockArg = args.indexOf('--lock');
const lockPath = resolve(lockArg >= 0 ? args[lockArg + 1] : 'package-lock.json');
const offline = args.includes('--offline') || process.env.MAILROOM_AUDIT_OFFLINE === '1';

function compareVersions(a, b) {
  const parse = (v) => v.split('-')[0].split('.').map(Number);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The package name of a lock entry's path: the part after the last node_modules/. */
const nameOf = (path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const problems = [];
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.link) continue;
  const name = nameOf(path);
  for (const a of ADVISORIES) {
    if (a.name === name && compareVersions(entry.version, a.fixed) < 0) {
      problems.push(`${path} ${entry.version}: ${a.id} (${a.why}); needs ${a.fixed} or later`);
    }
  }
  if (!entry.integrity) problems.push(`${path} ${entry.version ?? ''}: no integrity hash in the lock file`);
}
if (problems.length > 0) {
  console.error(`audit: ${lockPath} fails the offline checks:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const count = Object.keys(lock.packages ?? {}).length - 1;
console.log(`audit: offline checks passed (${count} packages in ${lockPath}, ${ADVISORIES.length} listed advisories).`);

if (offline) {
  console.log('audit: npm audit skipped (offline requested).');
  process.exit(0);
}

// npm audit reads the lock file of the folder it runs in; node_modules is not needed.
const npm = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=moderate', '--json'], {
  cwd: dirname(lockPath), encoding: 'utf8', timeout: 60_000,
});
let report;
try {
  report = JSON.parse(npm.stdout);
} catch {
  report = undefined;
}
const vulnerabilities = report?.metadata?.vulnerabilities;
if (!vulnerabilities) {
  // No report: the registry (or its audit service) did not answer. Say exactly that.
  const reason = npm.error?.code === 'ETIMEDOUT' ? 'no answer within 60 s'
    : report?.message || report?.error?.summary || npm.stderr.trim().split('\n').find((l) => /error|warn/.test(l)) || `npm exited with ${npm.status}`;
  console.log(`audit: NOT RUN: npm audit could not reach the registry's audit service (${reason}). Only the offline checks above ran.`);
  process.exit(0);
}
const serious = ['moderate', 'high', 'critical'].reduce((n, level) => n + (vulnerabilities[level] ?? 0), 0);
if (serious > 0) {
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    if (['moderate', 'high', 'critical'].includes(v.severity)) console.error(`audit: ${name} (${v.severity}) ${v.range ?? ''}: ${(v.via ?? []).map((x) => (typeof x === 'string' ? x : x.url ?? x.title)).join(', ')}`);
  }
  console.error(`audit: npm audit found ${serious} moderate or worse vulnerabilities in production dependencies.`);
  process.exit(1);
}
console.log(`audit: npm audit found no moderate or worse vulnerabilities in production dependencies (${vulnerabilities.total ?? 0} in all, low or info).`);
