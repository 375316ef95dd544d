// A service whose second binding is taken (POP3's 995 held by another program, 110 free) must
// not leave its first listener behind: `mailroom start` exits with the message, and nothing is
// left answering on 110 with a closed directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { freePortOffset, mailroom, tempDataDir } from '../helpers.ts';

const data = tempDataDir();
after(() => data.cleanup());

test('a taken SSL port: start fails with the message and the plain port is closed again', async () => {
  const offset = await freePortOffset([110, 995, 25, 587, 465, 80, 443]);
  const env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  const admin = (...args: string[]) => assert.equal(mailroom(args, env).status, 0, args.join(' '));
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin('Set-PopSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:110', '-SSLBindings', '127.0.0.1:995');
  admin('Set-Service', 'pop3,pop3-backend', '-StartupType', 'Automatic');
  admin('Set-Service', 'smtp,web,smtp-backend', '-StartupType', 'Disabled');
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(995 + offset, '127.0.0.1', resolve));
  try {
    // Exits by itself instead of serving on 110: mailroom() would kill a process still running
    // after a minute, and its status would not be 1.
    const r = mailroom(['start'], env);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`Port ${995 + offset} .* already in use`));
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ port: 110 + offset, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    assert.equal(open, false);
  } finally {
    squatter.close();
  }
});
