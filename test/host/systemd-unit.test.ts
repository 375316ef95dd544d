// packaging/systemd/mailroom.service: systemd's own checker accepts it (with the paths of this
// checkout, since it checks that ExecStart exists), its hardening scores as systemd rates it, and
// the settings the admin guide promises are there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mailroom, ROOT, tempDataDir } from '../helpers.ts';

const UNIT = join(ROOT, 'packaging', 'systemd', 'mailroom.service');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

/** Sections → key → values (a key may repeat, as Environment= does). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      current = new Map();
      sections.set(line.slice(1, -1), current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `line ${i + 1} is neither a section nor key=value: ${raw}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** The unit with this checkout's path for /opt/mailroom, where systemd can check ExecStart. */
function localCopy(folder: string, edit: (text: string) => string = (t) => t): string {
  const path = join(folder, 'mailroom.service');
  writeFileSync(path, edit(readFileSync(UNIT, 'utf8').replaceAll('/opt/mailroom', ROOT).replace('/usr/bin/node', process.execPath)));
  return path;
}

test('the unit has the user, limits, hardening and restart policy the admin guide describes', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const service = unit.get('Service')!;
  const one = (key: string) => service.get(key)?.at(-1);
  assert.equal(one('User'), 'mailroom');
  assert.equal(one('Restart'), 'on-failure');
  assert.ok(Number(one('LimitNOFILE')) >= 65536);
  assert.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
  assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('StateDirectory'), 'mailroom');
  assert.equal(one('KillSignal'), 'SIGTERM');
  assert.ok(service.get('Environment')!.includes('MAILROOM_DATA=/var/lib/mailroom'));
  assert.match(one('ExecStart')!, /\/bin\/mailroom\.js start$/);
  assert.equal(unit.get('Unit')!.get('StartLimitBurst')?.[0], '10');
  assert.equal(unit.get('Install')!.get('WantedBy')?.[0], 'multi-user.target');
});

test('systemd-analyze verify accepts the unit, and would complain about a broken one', { skip: !hasSystemdAnalyze && 'systemd-analyze is not installed' }, () => {
  const folder = tempDataDir('mailroom-unit-');
  try {
    const good = spawnSync('systemd-analyze', ['verify', localCopy(folder.path)], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    assert.equal(`${good.stdout}${good.stderr}`.trim(), '', 'no warnings');
    // The check can fail: a misplaced key and a bad value are reported.
    const bad = spawnSync('systemd-analyze', ['verify', localCopy(folder.path, (t) => t.replace('ProtectHome=yes', 'ProtectHome=maybe'))], { encoding: 'utf8' });
    assert.match(`${bad.stdout}${bad.stderr}`, /protect home value/i);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', localCopy(folder.path)], { encoding: 'utf8' });
    const exposure = /Overall exposure level for mailroom\.service: ([\d.]+)/.exec(security.stdout);
    assert.ok(exposure, security.stdout + security.stderr);
    assert.ok(Number(exposure[1]) <= 2.5, `exposure ${exposure[1]} (systemd's scale: 0 safest, 10 worst)`);
  } finally {
    folder.cleanup();
  }
});

test('mailroom install-service writes the unit with this installation\'s paths, user and data folder', { skip: !hasSystemdAnalyze && 'systemd-analyze is not installed' }, () => {
  const folder = tempDataDir('mailroom-unit-');
  try {
    const printed = mailroom(['install-service', '--print', '--user', 'mail2', '--data', '/srv/mail'], {});
    assert.equal(printed.status, 0, printed.stderr);
    const unit = parseUnit(printed.stdout).get('Service')!;
    assert.equal(unit.get('User')?.[0], 'mail2');
    assert.equal(unit.get('ExecStart')?.[0], `${process.execPath} ${ROOT}/bin/mailroom.js start`);
    assert.equal(unit.get('WorkingDirectory')?.[0], ROOT);
    assert.ok(unit.get('Environment')!.includes('MAILROOM_DATA=/srv/mail'));
    assert.equal(unit.get('ReadWritePaths')?.[0], '/srv/mail', 'a folder outside /var/lib is made writable');
    assert.equal(unit.get('StateDirectory'), undefined);

    const written = mailroom(['install-service', '--unit-dir', folder.path], {});
    assert.equal(written.status, 0, written.stderr);
    assert.match(written.stdout, /Wrote .*mailroom\.service .* as mailroom, data folder \/var\/lib\/mailroom\)\. Next:\n.*useradd --system/);
    const path = join(folder.path, 'mailroom.service');
    assert.equal(parseUnit(readFileSync(path, 'utf8')).get('Service')!.get('StateDirectory')?.[0], 'mailroom');
    const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'no warnings');

    assert.equal(mailroom(['install-service', '--user', 'Bad User'], {}).status, 2);
    assert.equal(mailroom(['install-service', '--data', 'relative/path'], {}).status, 2);
  } finally {
    folder.cleanup();
  }
});
