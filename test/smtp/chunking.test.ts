// CHUNKING/BDAT and BINARYMIME (RFC 3030) and AUTH SCRAM-SHA-256 (RFC 7677 over RFC 4954), over
// raw sockets: every chunk's octets are counted exactly whatever the TCP segmentation, refused
// chunks are drained rather than read as commands, and what is stored is byte-exact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBdat } from '../../src/smtp/chunking.ts';
import { ScramClient } from '../frontend/scram.ts';
import { prng, randomInt } from '../support/random.ts';
import { message, PASSWORDS, startSmtpServer, withoutPrependedHeaders, type SmtpTestServer } from './harness.ts';
import { b64, plainAuth, SmtpTestClient } from './smtp-client.ts';

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer();
});
after(async () => {
  await s.stop();
});

async function inbound(): Promise<SmtpTestClient> {
  const c = await SmtpTestClient.connect(s.ports.inbound);
  await c.read();
  await c.command('EHLO sender.example');
  return c;
}

const last = async (alias: string) => (await s.messages(alias)).at(-1)!.raw;

test('BDAT lines: size and LAST, table', () => {
  const table: [string, ReturnType<typeof parseBdat>][] = [
    ['BDAT 0 LAST', { size: 0, last: true }],
    ['BDAT 100', { size: 100, last: false }],
    ['bdat 7 last', { size: 7, last: true }],
    ['BDAT  12   LAST  ', { size: 12, last: true }],
    ['BDAT', null],
    ['BDAT -1', null],
    ['BDAT 1 FIRST', null],
    ['BDAT 1 LAST x', null],
    ['BDAT 1e3', null],
    ['BDAT 1234567890123456', null],
  ];
  for (const [line, expected] of table) assert.deepEqual(parseBdat(line), expected, line);
});

test('BDAT lines: any digits-and-spaces form round-trips, anything else is refused (property)', () => {
  const random = prng(3030);
  for (let i = 0; i < 2000; i++) {
    const size = randomInt(random, 1e9);
    const isLast = random() < 0.5;
    const line = `${random() < 0.5 ? 'BDAT' : 'bdat'}${' '.repeat(1 + randomInt(random, 3))}${size}${isLast ? `${' '.repeat(1 + randomInt(random, 2))}LAST` : ''}`;
    assert.deepEqual(parseBdat(line), { size, last: isLast }, line);
    const garbled = line.replace(/\d/, (d) => String.fromCharCode(d.charCodeAt(0) + 10 + randomInt(random, 40)));
    assert.equal(parseBdat(garbled), null, garbled);
  }
});

describe('CHUNKING on the inbound connector', () => {
  test('EHLO offers CHUNKING and BINARYMIME; ChunkingEnabled $false withdraws both', async () => {
    const c = await SmtpTestClient.connect(s.ports.inbound);
    await c.read();
    const ehlo = await c.command('EHLO sender.example');
    assert.ok(ehlo.lines.some((l) => /^250[- ]CHUNKING$/.test(l)), ehlo.text);
    assert.ok(ehlo.lines.some((l) => /^250[- ]BINARYMIME$/.test(l)), ehlo.text);
    c.close();
    await s.setConnector('inbound', { ChunkingEnabled: false });
    try {
      const d = await inbound();
      const ehlo2 = await d.command('EHLO sender.example');
      assert.doesNotMatch(ehlo2.text, /CHUNKING|BINARYMIME/);
      assert.equal((await d.command('BDAT 0 LAST')).text, '500 5.3.3 Unrecognized command');
      d.close();
    } finally {
      await s.setConnector('inbound', { ChunkingEnabled: true });
    }
    await s.setConnector('inbound', { BinaryMimeEnabled: false });
    try {
      const d = await SmtpTestClient.connect(s.ports.inbound);
      await d.read();
      const ehlo3 = await d.command('EHLO sender.example');
      assert.match(ehlo3.text, /CHUNKING/);
      assert.doesNotMatch(ehlo3.text, /BINARYMIME/);
      assert.equal((await d.command('MAIL FROM:<a@example.org> BODY=BINARYMIME')).code, 501);
      d.close();
    } finally {
      await s.setConnector('inbound', { BinaryMimeEnabled: true });
    }
  });

  test('a message in three chunks, the last one pipelined with QUIT, is stored byte-exact', async () => {
    const body = Buffer.from(message({ from: 'news@example.org', to: 'bob@contoso.com', subject: 'Chunked', body: 'Part one.\r\n.\r\nA line that is only a dot, not an end.' }));
    const parts = [body.subarray(0, 40), body.subarray(40, 41), body.subarray(41)];
    const c = await inbound();
    c.write('MAIL FROM:<news@example.org>\r\nRCPT TO:<bob@contoso.com>\r\n');
    assert.equal((await c.read()).code, 250);
    assert.equal((await c.read()).code, 250);
    c.write(Buffer.concat([Buffer.from(`BDAT ${parts[0]!.length}\r\n`), parts[0]!]));
    assert.equal((await c.read()).text, `250 2.0.0 ${parts[0]!.length} octets received`);
    c.write(Buffer.concat([Buffer.from(`BDAT ${parts[1]!.length}\r\n`), parts[1]!, Buffer.from(`BDAT ${parts[2]!.length} LAST\r\n`), parts[2]!, Buffer.from('QUIT\r\n')]));
    assert.equal((await c.read()).text, '250 2.0.0 1 octets received');
    assert.match((await c.read()).text, /^250 2\.6\.0 <[^>]+> \[InternalId=\S+\] Queued mail for delivery$/);
    assert.equal((await c.read()).code, 221);
    assert.deepEqual(withoutPrependedHeaders(await last('bob'), body), body);
  });

  test('random chunk sizes and random TCP segmentation: every message arrives byte-exact (property)', async () => {
    const random = prng(2026);
    const c = await inbound();
    for (let round = 0; round < 12; round++) {
      const filler = Array.from({ length: 1 + randomInt(random, 60) }, (_, i) => `line ${i} ${'x'.repeat(randomInt(random, 90))}${random() < 0.1 ? '\r\n.' : ''}`).join('\r\n');
      const body = Buffer.from(message({ from: 'news@example.org', to: 'carol@contoso.com', subject: `Round ${round}`, body: filler }));
      const stream: Buffer[] = [Buffer.from('MAIL FROM:<news@example.org>\r\nRCPT TO:<carol@contoso.com>\r\n')];
      let at = 0;
      let chunks = 0;
      while (at < body.length) {
        const size = Math.min(body.length - at, 1 + randomInt(random, 400));
        const isLast = at + size === body.length;
        stream.push(Buffer.from(`BDAT ${size}${isLast ? ' LAST' : ''}\r\n`), body.subarray(at, at + size));
        at += size;
        chunks++;
      }
      const wire = Buffer.concat(stream);
      for (let i = 0; i < wire.length; ) {
        const n = 1 + randomInt(random, 700);
        c.write(wire.subarray(i, i + n));
        i += n;
        if (random() < 0.3) await new Promise((r) => setTimeout(r, 1));
      }
      assert.equal((await c.read()).code, 250, 'MAIL');
      assert.equal((await c.read()).code, 250, 'RCPT');
      for (let i = 0; i < chunks - 1; i++) assert.match((await c.read()).text, /^250 2\.0\.0 \d+ octets received$/);
      assert.match((await c.read()).text, /^250 2\.6\.0 /, `round ${round}`);
      assert.deepEqual(withoutPrependedHeaders(await last('carol'), body), body, `round ${round}`);
    }
    c.close();
  });

  test('BDAT without a transaction: 503, and the chunk is drained, never read as commands', async () => {
    const before = (await s.messages('carol')).length;
    const c = await inbound();
    const smuggled = 'MAIL FROM:<ceo@contoso.com>\r\nRCPT TO:<carol@contoso.com>\r\nBDAT 5 LAST\r\nhello';
    c.write(`BDAT ${Buffer.byteLength(smuggled)}\r\n${smuggled}`);
    assert.equal((await c.read()).text, '503 5.5.1 BDAT without a valid MAIL FROM and RCPT TO; the chunk was discarded');
    assert.equal((await c.command('NOOP')).code, 250, 'exactly one reply: the chunk was data');
    assert.equal((await s.messages('carol')).length, before);
    c.close();
  });

  test('after a refused chunk the rest of the message is refused until RSET; DATA cannot follow BDAT', async () => {
    const c = await inbound();
    await c.command('MAIL FROM:<news@example.org>');
    await c.command('RCPT TO:<bob@contoso.com>');
    c.write('BDAT 3\r\nabc');
    assert.match((await c.read()).text, /^250 /);
    assert.equal((await c.command('DATA')).text, '503 5.5.1 DATA cannot follow BDAT in one message');
    c.write('BDAT 2 LAST\r\nde');
    assert.equal((await c.read()).text, '503 5.5.1 An earlier chunk of this message was refused; send RSET and start again');
    assert.equal((await c.command('RSET')).code, 250);
    const body = Buffer.from(message({ from: 'news@example.org', to: 'bob@contoso.com', subject: 'After RSET' }));
    await c.command('MAIL FROM:<news@example.org>');
    await c.command('RCPT TO:<bob@contoso.com>');
    c.write(Buffer.concat([Buffer.from(`BDAT ${body.length} LAST\r\n`), body]));
    assert.match((await c.read()).text, /^250 2\.6\.0 /);
    assert.deepEqual(withoutPrependedHeaders(await last('bob'), body), body);
    c.close();
  });

  test('BDAT 0 LAST ends a message; a syntax error gets 501', async () => {
    const body = Buffer.from(message({ from: 'news@example.org', to: 'bob@contoso.com', subject: 'Zero' }));
    const c = await inbound();
    assert.equal((await c.command('BDAT ten')).text, '501 5.5.4 Syntax: BDAT <chunk-size> [LAST]');
    await c.command('MAIL FROM:<news@example.org>');
    await c.command('RCPT TO:<bob@contoso.com>');
    c.write(Buffer.concat([Buffer.from(`BDAT ${body.length}\r\n`), body]));
    assert.match((await c.read()).text, /^250 2\.0\.0 /);
    assert.match((await c.command('BDAT 0 LAST')).text, /^250 2\.6\.0 /);
    assert.deepEqual(withoutPrependedHeaders(await last('bob'), body), body);
    c.close();
  });

  test('the size limit and the smuggling check apply to chunked messages as to DATA', async () => {
    await s.setConnector('inbound', { MaxMessageSize: 65536 });
    try {
      const c = await inbound();
      await c.command('MAIL FROM:<news@example.org>');
      await c.command('RCPT TO:<bob@contoso.com>');
      const big = Buffer.alloc(80_000, 'a');
      c.write(Buffer.concat([Buffer.from('BDAT 40000\r\n'), big.subarray(0, 40_000), Buffer.from('BDAT 40000 LAST\r\n'), big.subarray(40_000)]));
      assert.match((await c.read()).text, /^250 2\.0\.0 /);
      assert.match((await c.read()).text, /^552 5\.3\.4 /);
      const bare = Buffer.from('From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: x\r\n\r\nEnd.\n.\nMAIL FROM:<x@y>\r\n');
      await c.command('MAIL FROM:<news@example.org>');
      await c.command('RCPT TO:<bob@contoso.com>');
      c.write(Buffer.concat([Buffer.from(`BDAT ${bare.length} LAST\r\n`), bare]));
      assert.match((await c.read()).text, /^550 5\.6\.11 /);
      c.close();
    } finally {
      await s.setConnector('inbound', { MaxMessageSize: 36700160 });
    }
  });

  test('BODY=BINARYMIME: raw binary body stored byte-exact; DATA refused; no relay to remote recipients', async () => {
    const binary = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 37 + 11) % 256));
    const head = Buffer.from('From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: Binary\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n');
    const body = Buffer.concat([head, binary]);
    const c = await inbound();
    assert.equal((await c.command('MAIL FROM:<news@example.org> BODY=BINARYMIME')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.equal((await c.command('DATA')).text, '503 5.5.1 BODY=BINARYMIME requires BDAT, not DATA (RFC 3030 §3)');
    c.write(Buffer.concat([Buffer.from(`BDAT ${body.length} LAST\r\n`), body]));
    assert.match((await c.read()).text, /^250 2\.6\.0 /);
    assert.deepEqual(withoutPrependedHeaders(await last('bob'), head).subarray(head.length), binary);
    c.close();

    const a = await SmtpTestClient.connect(s.ports.submission);
    await a.read();
    await a.command('EHLO client.example');
    await a.starttls();
    await a.command('EHLO client.example');
    assert.equal((await a.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    assert.equal((await a.command('MAIL FROM:<alice@contoso.com> BODY=BINARYMIME')).code, 250);
    assert.equal((await a.command('RCPT TO:<someone@example.net>')).text, '554 5.6.3 BINARYMIME content cannot be relayed to a remote recipient; send it with BODY=8BITMIME');
    a.close();
  });

  test('a submission over BDAT after STARTTLS and AUTH (the new parser after STARTTLS counts chunks too)', async () => {
    const body = Buffer.from(message({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'Submitted in chunks' }));
    const a = await SmtpTestClient.connect(s.ports.submission);
    await a.read();
    await a.command('EHLO client.example');
    await a.starttls();
    assert.match((await a.command('EHLO client.example')).text, /CHUNKING/);
    assert.equal((await a.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    await a.command('MAIL FROM:<alice@contoso.com>');
    await a.command('RCPT TO:<bob@contoso.com>');
    a.write(Buffer.concat([Buffer.from('BDAT 10\r\n'), body.subarray(0, 10), Buffer.from(`BDAT ${body.length - 10} LAST\r\n`), body.subarray(10)]));
    assert.match((await a.read()).text, /^250 2\.0\.0 10 octets/);
    assert.match((await a.read()).text, /^250 2\.6\.0 /);
    const stored = await last('bob');
    assert.deepEqual(withoutPrependedHeaders(stored, body), body);
    assert.match(stored.toString(), /with ESMTPSA/);
    a.close();
  });
});

describe('AUTH SCRAM-SHA-256 on the submission connectors', () => {
  async function secured(): Promise<SmtpTestClient> {
    const c = await SmtpTestClient.connect(s.ports.secure, { tls: true });
    await c.read();
    const ehlo = await c.command('EHLO client.example');
    assert.match(ehlo.text, /^250[- ]AUTH PLAIN LOGIN SCRAM-SHA-256$/m);
    return c;
  }

  test('the exchange with an initial response; the server proves itself; mail may then be sent', async () => {
    const c = await secured();
    const scram = new ScramClient('alice@contoso.com', PASSWORDS.alice);
    const first = await c.command(`AUTH SCRAM-SHA-256 ${b64(scram.first())}`);
    assert.equal(first.code, 334);
    const serverFirst = Buffer.from(first.text.slice(4), 'base64').toString();
    assert.match(serverFirst, /^r=.+,s=.+,i=\d+$/);
    const final = await c.command(b64(scram.final(serverFirst)));
    assert.equal(final.code, 334);
    assert.ok(scram.verify(Buffer.from(final.text.slice(4), 'base64').toString()), 'server signature');
    assert.equal((await c.command('')).text, '235 2.7.0 Authentication successful');
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('AUTH PLAIN x')).code, 503);
    c.close();
  });

  test('without an initial response, with "=" as an empty one, a wrong password, and "*"', async () => {
    const c = await secured();
    const scram = new ScramClient('bob@contoso.com', PASSWORDS.bob);
    assert.equal((await c.command('AUTH SCRAM-SHA-256')).text, '334 ');
    const first = await c.command(b64(scram.first()));
    const final = await c.command(b64(scram.final(Buffer.from(first.text.slice(4), 'base64').toString())));
    assert.equal(final.code, 334);
    assert.equal((await c.command('')).code, 235);
    c.close();

    const d = await secured();
    const wrong = new ScramClient('bob@contoso.com', 'Not-His-Password-1');
    const f = await d.command(`AUTH SCRAM-SHA-256 ${b64(wrong.first())}`);
    assert.equal((await d.command(b64(wrong.final(Buffer.from(f.text.slice(4), 'base64').toString())))).text, '535 5.7.3 Authentication unsuccessful');
    // "=" is an empty initial response: an empty client-first message, which is malformed.
    assert.equal((await d.command('AUTH SCRAM-SHA-256 =')).code, 535);
    assert.equal((await d.command('AUTH SCRAM-SHA-256')).code, 334);
    assert.equal((await d.command('*')).text, '501 5.0.0 Authentication aborted');
    assert.equal((await d.command('AUTH SCRAM-SHA-256 !!!')).code, 501);
    assert.equal((await d.command('MAIL FROM:<bob@contoso.com>')).code, 530, 'still not authenticated');
    d.close();
  });

  test('587 offers no AUTH at all before STARTTLS (BasicAuthRequireTLS), SCRAM included', async () => {
    const c = await SmtpTestClient.connect(s.ports.submission);
    await c.read();
    assert.doesNotMatch((await c.command('EHLO client.example')).text, /AUTH/);
    assert.equal((await c.command('AUTH SCRAM-SHA-256')).code, 500);
    c.close();
  });
});
