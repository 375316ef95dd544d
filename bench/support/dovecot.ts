// What the benchmarks that start a private Dovecot (IMAP4, POP3, LMTP) share.
import { spawnSync } from 'node:child_process';
import { chownSync, readdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** Dovecot's version, or null when it is not installed. */
export function dovecotAvailable(): string | null {
  const r = spawnSync('dovecot', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Dovecot refuses to give mail access to root, so the maildirs belong to `nobody` when the
 * benchmark runs as root, and to the caller otherwise.
 */
export function mailOwner(): { uid: number; gid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid };
  const line = spawnSync('getent', ['passwd', 'nobody'], { encoding: 'utf8' }).stdout.split(':');
  return { uid: Number(line[2] ?? 65534), gid: Number(line[3] ?? 65534) };
}

export function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

/**
 * The dovecot.conf lines every private instance shares: its run, state and log under `root`,
 * loopback only, the passwd-file `root/passwd` for users and passwords, maildirs in their homes,
 * and (when not run as root) the caller as Dovecot's internal and login user.
 */
export function privateInstanceSettings(root: string, passdbScheme?: string): string[] {
  const scheme = passdbScheme ? `scheme=${passdbScheme} ` : '';
  return [
    `base_dir = ${root}/run`,
    `state_dir = ${root}/state`,
    `log_path = ${root}/dovecot.log`,
    'listen = 127.0.0.1',
    `passdb {\n  driver = passwd-file\n  args = ${scheme}username_format=%u ${root}/passwd\n}`,
    `userdb {\n  driver = passwd-file\n  args = username_format=%u ${root}/passwd\n}`,
    'mail_location = maildir:~/Maildir',
    'first_valid_uid = 1',
    ...(userInfo().uid === 0 ? [] : [`default_internal_user = ${userInfo().username}`, `default_login_user = ${userInfo().username}`]),
  ];
}
