// `mailroom install-service`: writes packaging/systemd/mailroom.service with this installation's
// paths (the folder Mailroom runs from, the node binary running it) and the chosen user and data
// folder, and says what to run next. It creates no user and starts nothing: those steps stay the
// admin's (docs/admin-guide.md, "Running under systemd").
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const UNIT_TEMPLATE = join(ROOT, 'packaging', 'systemd', 'mailroom.service');

export interface UnitOptions {
  user: string;
  dataFolder: string;
  installFolder: string;
  node: string;
}

/** The packaged unit with the given user, data folder, install folder and node binary. */
export function renderUnit(template: string, o: UnitOptions): string {
  return template
    .replaceAll('/opt/mailroom', o.installFolder)
    .replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${o.node} `)
    .replace(/^User=mailroom$/m, `User=${o.user}`)
    .replace(/^Group=mailroom$/m, `Group=${o.user}`)
    .replace(/^Environment=MAILROOM_DATA=\/var\/lib\/mailroom$/m, `Environment=MAILROOM_DATA=${o.dataFolder}`)
    .replace(/^StateDirectory=mailroom$/m, o.dataFolder.startsWith('/var/lib/') ? `StateDirectory=${o.dataFolder.slice('/var/lib/'.length)}` : `ReadWritePaths=${o.dataFolder}`);
}

export async function installServiceCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string', default: 'mailroom' },
      data: { type: 'string', default: '/var/lib/mailroom' },
      'unit-dir': { type: 'string', default: '/etc/systemd/system' },
      print: { type: 'boolean' },
    },
    strict: true,
  });
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(values.user!)) {
    console.error(`--user must be a system user name (got '${values.user}').`);
    return 2;
  }
  if (!isAbsolute(values.data!) || /\s/.test(values.data!)) {
    console.error(`--data must be an absolute path without spaces (got '${values.data}').`);
    return 2;
  }
  const unit = renderUnit(readFileSync(UNIT_TEMPLATE, 'utf8'), { user: values.user!, dataFolder: values.data!, installFolder: ROOT, node: process.execPath });
  if (values.print) {
    process.stdout.write(unit);
    return 0;
  }
  const dir = resolve(values['unit-dir']!);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'mailroom.service');
  const existed = existsSync(path);
  writeFileSync(path, unit, { mode: 0o644 });
  console.log(`${existed ? 'Replaced' : 'Wrote'} ${path} (runs ${process.execPath} ${join(ROOT, 'bin', 'mailroom.js')} start as ${values.user}, data folder ${values.data}). Next:
  id ${values.user} || useradd --system --home-dir ${values.data} --shell /usr/sbin/nologin ${values.user}
  install -d -o ${values.user} -g ${values.user} -m 0700 ${values.data}
  systemctl daemon-reload
  sudo -u ${values.user} MAILROOM_DATA=${values.data} ${process.execPath} ${join(ROOT, 'bin', 'mailroom.js')} setup --organization NAME --domain DOMAIN --admin-password PW
  systemctl enable --now mailroom`);
  return 0;
}
