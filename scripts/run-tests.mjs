#!/usr/bin/env node
// Runs every test file under test/ with node's test runner. Node 20 does not expand globs
// after --test, so the files are collected here. Arguments narrow the run to paths that
// contain one of them: `npm test -- cli auth`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit', env: { ...process.env, MAILROOM_LOG_LEVEL: process.env.MAILROOM_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
