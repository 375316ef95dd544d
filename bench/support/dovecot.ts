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
