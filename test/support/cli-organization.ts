// An organization made by `mailroom setup` in a fresh data folder, for tests of the `mailroom`
// command as an admin uses it: each cmdlet in its own process, as from bash.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mailroom, tempDataDir } from '../helpers.ts';
import { FAST_PASSWORDS_CMDLET } from './passwords.ts';

export function cliOrganization() {
  const data = tempDataDir();
  const env = { MAILROOM_DATA: data.path };
  const run = (...args: string[]) => mailroom(args, env);
  const json = (...args: string[]) => {
    const r = run(...args, '--json');
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  before(() => {
    const r = run('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Organization\s+: Contoso/);
    assert.match(r.stdout, /POP3 and IMAP4 are disabled/);
    // Cheap password hashes: these tests are about the cmdlets, not the hashing cost.
    assert.equal(run(...FAST_PASSWORDS_CMDLET).status, 0);
  });
  after(() => data.cleanup());
  return { data, env, run, json };
}
