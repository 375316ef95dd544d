// One client's round trips on a mailbox of many folders: NOOP, STATUS of INBOX, STATUS and
// SELECT of each folder, LIST-STATUS — µs a command, the server alone on the machine. What the
// large-mailbox benchmark (large.ts) times as one figure per loop, taken apart per command.
//
//   node --import tsx bench/imap/round-trips.ts [--servers mailroom,dovecot] [--messages 4000] [--folders 200]
import { parseArgs } from 'node:util';
import { ImapClient, quoted } from './client.ts';
import { LARGE_PASSWORD, LARGE_USER, largeCorpus } from './large-corpus.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget } from './targets.ts';
import { encodeMailboxUtf7 } from '../../src/imap/protocol/utf7.ts';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'mailroom,dovecot' },
    messages: { type: 'string', default: '4000' },
    folders: { type: 'string', default: '200' },
  },
});

const user = largeCorpus(Number(values.messages), Number(values.folders));
const names = ['INBOX', ...(user.folders ?? [])].map((n) => quoted(encodeMailboxUtf7(n)));
const STATUS_ITEMS = '(MESSAGES UNSEEN UIDNEXT HIGHESTMODSEQ)';

for (const server of values.servers!.split(',')) {
  if (server === 'dovecot' && !dovecotAvailable()) continue;
  const options = { users: [user], idleUsers: [], maxConnections: 50, seedConcurrency: 256 };
  const target = server === 'dovecot' ? await startDovecotTarget(options) : await startMailroomTarget(options);
  try {
    const client = await ImapClient.connect({ port: target.plainPort, tls: false });
    await client.ok(`LOGIN ${LARGE_USER} ${LARGE_PASSWORD}`);
    await client.ok('SELECT INBOX');
    /** Sends the lines one after the other (50 first, untimed): µs a command. */
    const time = async (label: string, lines: string[]) => {
      for (const line of lines.slice(0, 50)) await client.ok(line);
      const start = performance.now();
      for (const line of lines) await client.ok(line);
      console.log(`${target.name.padEnd(10)} ${label.padEnd(24)} ${(((performance.now() - start) * 1000) / lines.length).toFixed(0).padStart(6)} µs each`);
    };
    await time('NOOP', Array<string>(2000).fill('NOOP'));
    await time('STATUS INBOX', Array<string>(2000).fill(`STATUS INBOX ${STATUS_ITEMS}`));
    await time('STATUS of each folder', Array.from({ length: 10 }, () => names.map((n) => `STATUS ${n} ${STATUS_ITEMS}`)).flat());
    await time('SELECT of each folder', Array.from({ length: 5 }, () => names.map((n) => `SELECT ${n}`)).flat());
    await time('LIST-STATUS', Array<string>(100).fill(`LIST "" "*" RETURN (STATUS ${STATUS_ITEMS})`));
    await client.logout();
  } finally {
    await target.stop();
  }
}
