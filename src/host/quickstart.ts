// `npm start`: on an empty data folder, an organization with a demo mailbox, POP3 and IMAP4
// enabled (printing the commands, since they are off by default), and every setting a person
// needs to connect a mail client; then the server runs. Later runs just start the server.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { credentialsFor, generatePassword } from '../auth/credentials.ts';
import { Directory } from '../directory/directory.ts';
import { cmdletCommand } from '../cli/run.ts';
import { dataFolder } from '../lib/env.ts';
import { runSupervisor } from './supervise.ts';
import { setupOrganization } from './setup.ts';

const ENABLE_COMMANDS: string[][] = [
  ['Set-Service', 'imap4,imap4-backend', '-StartupType', 'Automatic'],
  ['Set-Service', 'pop3,pop3-backend', '-StartupType', 'Automatic'],
];

function credentialsFile(): string {
  return join(dataFolder(), 'quickstart.txt');
}

export async function runQuickstart(): Promise<number> {
  // Unprivileged users cannot bind ports below 1024; move every port up instead of failing.
  if (process.env.MAILROOM_PORT_OFFSET === undefined && typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.env.MAILROOM_PORT_OFFSET = '10000';
    console.log('Not running as root: every port is moved up by 10000 (MAILROOM_PORT_OFFSET=10000).\n');
  }
  const offset = Number(process.env.MAILROOM_PORT_OFFSET ?? 0);
  const directory = await Directory.open();
  try {
    if (!(await directory.organization())) {
      const adminPassword = generatePassword();
      const demoPassword = generatePassword();
      const result = await setupOrganization(directory, {
        organization: 'Mailroom Demo', domain: 'mailroom.test', fqdn: 'localhost', server: 'MAIL01', adminPassword,
      });
      const demo = await directory.createMailbox({
        name: 'Demo User', alias: 'demo', credentials: await credentialsFor(demoPassword),
      });
      console.log(`Created organization "${result.organization.name}" (domain mailroom.test) on server ${result.serverName}.`);
      console.log('POP3 and IMAP4 are off by default, as in Exchange. Enabling them:');
      for (const args of ENABLE_COMMANDS) {
        console.log(`  mailroom ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
        const sink = new PassThrough();
        sink.resume();
        if ((await cmdletCommand(args[0]!, args.slice(1), sink, directory)) !== 0) return 1;
      }
      const p = (port: number) => port + offset;
      const summary = [
        '',
        'Connection settings (self-signed certificate for "localhost": allow it in your client):',
        `  IMAP4  server localhost  port ${p(993)} SSL/TLS, or port ${p(143)} STARTTLS`,
        `  POP3   server localhost  port ${p(995)} SSL/TLS, or port ${p(110)} STARTTLS`,
        `  SMTP   server localhost  port ${p(587)} STARTTLS, or port ${p(465)} SSL/TLS (sign in to send)`,
        `  Web    https://localhost:${p(443)}/ (settings page; the admin center is /ecp/)`,
        '',
        'Accounts:',
        `  Demo mailbox    ${demo.userPrincipalName}   password ${demoPassword}   (also MAILROOM\\demo)`,
        `  Administrator   ${result.administrator.userPrincipalName}   password ${adminPassword}`,
        '                  (for admin commands and the admin center; never POP3/IMAP4, as in Exchange)',
        '',
        'Admin commands run in another terminal, for example:',
        '  npx mailroom Get-ImapSettings',
        '  npx mailroom New-Mailbox -Name "Chris Ashton" -Alias chris -Password "Pa55-word-2026"',
        '',
        `These settings are kept in ${credentialsFile()}.`,
      ].join('\n');
      writeFileSync(credentialsFile(), summary.trimStart() + '\n', { mode: 0o600 });
      console.log(summary + '\n');
    } else if (existsSync(credentialsFile())) {
      console.log(readFileSync(credentialsFile(), 'utf8'));
    }
  } finally {
    await directory.close();
  }
  // As `mailroom start`: the front ends and the back ends as two supervised processes.
  return runSupervisor({ script: process.argv[1]! });
}
