// The day-two commands: `mailroom backup DIR`, `mailroom restore DIR [--force]` and
// `mailroom doctor [--repair] [--json]`, with what they print and their exit codes.
import { parseArgs } from 'node:util';
import { formatList } from '../cli/cmdlet.ts';
import { dataFolder } from '../lib/env.ts';
import { backupDataFolder, restoreDataFolder } from './backup.ts';
import { runDoctor } from './doctor.ts';

export async function operationsCommand(command: 'backup' | 'restore' | 'doctor', args: string[]): Promise<number> {
  if (command === 'doctor') return doctor(args);
  const { values, positionals } = parseArgs({ args, options: { force: { type: 'boolean' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || (command === 'backup' && values.force)) {
    console.error(command === 'backup' ? 'Usage: mailroom backup DIR' : 'Usage: mailroom restore DIR [--force]');
    return 2;
  }
  const folder = positionals[0]!;
  if (command === 'backup') {
    const started = Date.now();
    const { manifest, missingBlobs } = await backupDataFolder(dataFolder(), folder);
    const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
    const count = (kind: string) => manifest.files.filter((f) => f.kind === kind).length;
    console.log(`Backed up ${dataFolder()} to ${folder} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${manifest.files.length} files, ${bytes} bytes (${count('sqlite')} databases, ${count('blob')} message bodies, ${count('key')} key files, ${count('file')} other files).`);
    for (const note of manifest.notes) console.log(`Note: ${note}`);
    return missingBlobs.length ? 1 : 0;
  }
  const report = await restoreDataFolder(folder, dataFolder(), { replace: values.force === true });
  console.log(`Restored ${report.restoredFiles} files from ${folder} (taken ${report.manifest.createdAt} by Mailroom ${report.manifest.mailroomVersion}) into ${dataFolder()}; every checksum matched the manifest.`);
  if (report.previousFolder) console.log(`The data folder that was there is now ${report.previousFolder}.`);
  for (const note of report.manifest.notes) console.log(`Note: ${note}`);
  return 0;
}

async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { repair: { type: 'boolean' }, json: { type: 'boolean' } }, strict: true });
  const report = await runDoctor(dataFolder(), { repair: values.repair === true });
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    if (report.findings.length) {
      console.log(formatList(report.findings.map((f) => ({
        Database: f.database, Check: f.check, Subject: f.subject, Found: f.found, Expected: f.expected,
        Action: f.repaired ? 'repaired' : values.repair ? 'not repairable: restore from a backup' : 'none (run with --repair)',
      }))));
      console.log('');
    }
    const repaired = report.findings.length - report.remaining;
    console.log(`Checked ${report.databases.length} mailbox databases: ${report.findings.length} problems found, ${repaired} repaired, ${report.remaining} remaining.`);
  }
  return report.remaining === 0 ? 0 : 1;
}
