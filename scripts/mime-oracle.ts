// Prints Mailroom's BODYSTRUCTURE, BODY and ENVELOPE for each .eml file given beside the ones
// Dovecot's IMAP server answers for the same bytes, and whether they agree: a second opinion
// for MIME fixtures and for messages from the field.
//
//   node --import tsx scripts/mime-oracle.ts [--json] file.eml ...
//
// Needs Dovecot with its IMAP service (Debian: dovecot-imapd). The script starts a private
// instance in a temporary folder (its own dovecot.conf, base_dir, passwd-file user and
// maildir, `dovecot -F` on a loopback port), puts each file unchanged into a folder of its
// own, SELECTs it and FETCHes message 1, then stops the instance and removes the folder.
//
// Agreement is judged on the values, not on the wire form: Dovecot and Mailroom may send the
// same string quoted or as a literal. Sizes differ by design for files with bare LF line ends:
// Dovecot counts every line end as CRLF. UTF8=ACCEPT forms are not compared (Dovecot 2.3 does
// not offer it). --json prints one object per file: { file, fields: { bodystructure, body,
// envelope: { ours, dovecot, agree } } }, with each value in a canonical wire form.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chownTree, dovecotAvailable, mailOwner, privateInstanceSettings } from '../bench/support/dovecot.ts';
import { stopChild } from '../bench/support/processes.ts';
import { bodyBasic, bodyStructure, envelope, scanMessage } from '../src/mime/index.ts';

const FIELDS = ['bodystructure', 'body', 'envelope'] as const;
type Field = (typeof FIELDS)[number];

// ---------------------------------------------------------------- IMAP values

/**
 * An IMAP value as both servers send it: atom (numbers too), string (quoted or literal), NIL
 * or list. A list keeps where its items were separated by a space: the grammar has both
 * "(body)(body)" and "envelope SP body", and a stray or missing space is a difference.
 */
type Value = { atom: string } | { string: Buffer } | null | { list: Value[]; spaced: boolean[] };

/** Reads one value at `pos`; strings keep their bytes, whichever form they came in. */
function readValue(b: Buffer, pos: number): [Value, number] {
  const c = b[pos];
  if (c === 0x28 /* ( */) {
    const list: Value[] = [];
    const spaced: boolean[] = [];
    pos++;
    for (;;) {
      const gap = b[pos] === 0x20;
      while (b[pos] === 0x20) pos++;
      if (b[pos] === 0x29 /* ) */) return [{ list, spaced }, pos + 1];
      if (pos >= b.length) throw new Error('unclosed list');
      const [v, next] = readValue(b, pos);
      list.push(v);
      spaced.push(gap);
      pos = next;
    }
  }
  if (c === 0x22 /* " */) {
    const bytes: number[] = [];
    for (pos++; b[pos] !== 0x22; pos++) {
      if (pos >= b.length) throw new Error('unclosed quoted string');
      if (b[pos] === 0x5c /* \ */) pos++;
      bytes.push(b[pos]!);
    }
    return [{ string: Buffer.from(bytes) }, pos + 1];
  }
  if (c === 0x7b /* { */) {
    const close = b.indexOf('}\r\n', pos);
    const n = Number(b.subarray(pos + 1, close).toString('latin1').replace('+', ''));
    const start = close + 3;
    return [{ string: b.subarray(start, start + n) }, start + n];
  }
  let end = pos;
  while (end < b.length && ![0x20, 0x28, 0x29, 0x0d].includes(b[end]!)) end++;
  const atom = b.subarray(pos, end).toString('latin1');
  return [atom.toUpperCase() === 'NIL' ? null : { atom }, end];
}

/** The value in one canonical wire form: quoted when RFC 3501 allows it, a literal otherwise. */
function canonical(v: Value): string {
  if (v === null) return 'NIL';
  if ('list' in v) return `(${v.list.map((item, i) => (i > 0 && v.spaced[i] ? ' ' : '') + canonical(item)).join('')})`;
  if ('atom' in v) return v.atom;
  const s = v.string;
  const quotable = s.length <= 1000 && s.every((x) => x >= 0x20 && x < 0x7f);
  if (quotable) return `"${s.toString('latin1').replace(/[\\"]/g, '\\$&')}"`;
  const text = s.toString('utf8');
  // Bytes that are not UTF-8 (raw Big5 in a header, say) are shown in hex, so that two
  // different byte strings never print alike.
  return Buffer.from(text, 'utf8').equals(s) ? `{${s.length}}\r\n${text}` : `{${s.length}}<hex ${s.toString('hex')}>`;
}

/** Parses a whole BODYSTRUCTURE/BODY/ENVELOPE string and returns its canonical form. */
function canonicalOf(wire: string): string {
  const b = Buffer.from(wire, 'utf8');
  const [v, end] = readValue(b, 0);
  if (end !== b.length) throw new Error(`trailing bytes after value: ${b.subarray(end).toString()}`);
  return canonical(v);
}

// ---------------------------------------------------------------- a private Dovecot

const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });

interface Dovecot {
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

async function startDovecot(files: Buffer[]): Promise<Dovecot> {
  const root = mkdtempSync(join(tmpdir(), 'mime-oracle-'));
  chmodSync(root, 0o755);
  const owner = mailOwner();
  const [user, password] = ['oracle', randomBytes(12).toString('hex')];
  const home = join(root, 'home');
  // One maildir++ folder per file (".m0", ".m1", ...), so message 1 of folder i is file i.
  files.forEach((raw, i) => {
    const folder = join(home, 'Maildir', `.m${i}`);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(folder, sub), { recursive: true });
    writeFileSync(join(folder, 'cur', `1700000000.M1P1.oracle:2,`), raw);
  });
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true });
  chownTree(home, owner.uid, owner.gid);
  writeFileSync(join(root, 'passwd'), `${user}:{PLAIN}${password}:${owner.uid}:${owner.gid}::${home}::\n`);
  const port = await freePort();
  const banner = `oracle ${randomBytes(6).toString('hex')} ready.`;
  const conf = join(root, 'dovecot.conf');
  writeFileSync(conf, [
    ...privateInstanceSettings(root),
    'protocols = imap',
    `login_greeting = ${banner}`,
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain',
    `service imap-login {\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    '',
  ].join('\n'));
  mkdirSync(join(root, 'state'), { recursive: true });
  const child: ChildProcess = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => {
    await stopChild(child);
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const greeting = await new Promise<string>((res) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.setTimeout(1000, () => (s.destroy(), res('')));
      s.once('error', () => res(''));
      s.once('data', (d) => (s.destroy(), res(d.toString())));
    });
    if (greeting.includes(banner)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = spawnSync('tail', ['-20', join(root, 'dovecot.log')], { encoding: 'utf8' }).stdout;
      await stop();
      throw new Error(`Dovecot did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, user, password, stop };
}

/** A minimal IMAP client: one command at a time, responses with literals read whole. */
class Client {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private tag = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.waiting?.();
    });
  }

  static async open(port: number): Promise<Client> {
    const socket = connect({ port, host: '127.0.0.1' });
    const client = new Client(socket);
    await client.untilLine(/^\* OK/);
    return client;
  }

  /** Waits until the buffer holds a complete line (literals included) matching `re`; returns all before it and it. */
  private async untilLine(re: RegExp): Promise<Buffer> {
    for (;;) {
      let pos = 0;
      while (pos < this.buffer.length) {
        const lineEnd = this.lineEnd(pos);
        if (lineEnd < 0) break;
        const line = this.buffer.subarray(pos, lineEnd).toString('latin1');
        if (re.test(line)) {
          const out = this.buffer.subarray(0, lineEnd + 2);
          this.buffer = this.buffer.subarray(lineEnd + 2);
          return out;
        }
        pos = lineEnd + 2;
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  /** End of the response line starting at `pos`, skipping over literals; -1 if incomplete. */
  private lineEnd(pos: number): number {
    for (;;) {
      const crlf = this.buffer.indexOf('\r\n', pos);
      if (crlf < 0) return -1;
      const m = /\{(\d+)\+?\}$/.exec(this.buffer.subarray(Math.max(pos, crlf - 20), crlf).toString('latin1'));
      if (!m) return crlf;
      pos = crlf + 2 + Number(m[1]);
      if (pos > this.buffer.length) return -1;
    }
  }

  async command(text: string): Promise<Buffer> {
    const tag = `o${++this.tag}`;
    this.socket.write(`${tag} ${text}\r\n`);
    const out = await this.untilLine(new RegExp(`^${tag} `));
    const last = out.subarray(out.lastIndexOf(`${tag} `)).toString('latin1');
    if (!last.startsWith(`${tag} OK`)) throw new Error(`${text}: ${last.trim()}`);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The values of the FETCH items in an untagged FETCH response. */
function fetchItems(response: Buffer): Map<string, Value> {
  const start = response.indexOf(' FETCH (');
  if (start < 0) throw new Error(`no FETCH response in ${response.toString()}`);
  const [data] = readValue(response, start + ' FETCH '.length);
  const items = new Map<string, Value>();
  if (data === null || !('list' in data)) throw new Error('FETCH data is not a list');
  for (let i = 0; i + 1 < data.list.length; i += 2) {
    const key = data.list[i];
    if (key === undefined || key === null || !('atom' in key)) throw new Error('FETCH item name expected');
    items.set(key.atom.toUpperCase(), data.list[i + 1]!);
  }
  return items;
}

// ---------------------------------------------------------------- main

interface Comparison {
  ours: string;
  dovecot: string;
  agree: boolean;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length === 0) {
    console.error('usage: node --import tsx scripts/mime-oracle.ts [--json] file.eml ...');
    process.exit(2);
  }
  const version = dovecotAvailable();
  if (version === null) {
    console.error('dovecot is not installed (Debian: apt-get install dovecot-imapd)');
    process.exit(2);
  }
  const files = positionals.map((f) => readFileSync(f));
  const dovecot = await startDovecot(files);
  const results: { file: string; fields: Record<Field, Comparison> }[] = [];
  try {
    const client = await Client.open(dovecot.port);
    await client.command(`LOGIN ${dovecot.user} ${dovecot.password}`);
    for (const [i, raw] of files.entries()) {
      await client.command(`SELECT m${i}`);
      const items = fetchItems(await client.command('FETCH 1 (BODYSTRUCTURE BODY ENVELOPE)'));
      const root = scanMessage(raw);
      const ours: Record<Field, string> = { bodystructure: bodyStructure(raw, root), body: bodyBasic(raw, root), envelope: envelope(raw, root, false) };
      const fields = {} as Record<Field, Comparison>;
      for (const field of FIELDS) {
        const theirs = items.get(field.toUpperCase());
        if (theirs === undefined) throw new Error(`${positionals[i]}: Dovecot sent no ${field}`);
        const mine = canonicalOf(ours[field]);
        const dv = canonical(theirs);
        fields[field] = { ours: mine, dovecot: dv, agree: mine === dv };
      }
      results.push({ file: positionals[i]!, fields });
    }
    await client.command('LOGOUT');
    client.close();
  } finally {
    await dovecot.stop();
  }
  if (values.json) {
    console.log(JSON.stringify({ dovecot: version, results }, null, 2));
    return;
  }
  console.log(`Dovecot ${version}`);
  for (const r of results) {
    console.log(`\n== ${basename(r.file)}`);
    for (const field of FIELDS) {
      const c = r.fields[field];
      if (c.agree) console.log(`  ${field}: agree\n    ${c.ours}`);
      else console.log(`  ${field}: DIFFER\n    mailroom: ${c.ours}\n    dovecot:  ${c.dovecot}`);
    }
  }
  const differ = results.filter((r) => FIELDS.some((f) => !r.fields[f].agree)).length;
  console.log(`\n${results.length - differ} of ${results.length} files agree on every field`);
}

await main();
