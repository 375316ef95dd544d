// The mail both servers serve: for each user, many ordinary messages of about 10 KB and a few
// of 1 MB, generated from a seed so every run and both servers get the same bytes.
import { createHash } from 'node:crypto';

export interface CorpusOptions {
  users: number;
  messages: number;
  /** How many of each user's messages are large. */
  large: number;
  smallBytes: number;
  largeBytes: number;
}

export interface BenchUser {
  name: string;
  password: string;
  messages: Buffer[];
}

/** Deterministic pseudo-random text: SHA-256 in counter mode, as base64 lines of 76 characters. */
function filler(seed: string, bytes: number): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const line = createHash('sha256').update(`${seed}:${i}`).digest('base64').repeat(2).slice(0, 76);
    // Some lines start with a dot, so dot-stuffing is part of the work, as in real mail.
    const text = i % 97 === 0 ? `.${line.slice(1)}` : line;
    out.push(text);
    length += text.length + 2;
  }
  return out.join('\r\n');
}

function message(user: string, n: number, bytes: number): Buffer {
  const header = [
    `From: sender${n % 17}@fabrikam.com`, `To: ${user}@contoso.com`, `Subject: Benchmark message ${n} for ${user}`,
    `Message-ID: <${user}.${n}@bench.fabrikam.com>`, `Date: Fri, 20 Nov 2026 08:${String(n % 60).padStart(2, '0')}:00 +0000`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', '',
  ].join('\r\n');
  return Buffer.from(`${header}${filler(`${user}/${n}`, Math.max(0, bytes - header.length))}\r\n`);
}

export function corpus(options: CorpusOptions): BenchUser[] {
  return Array.from({ length: options.users }, (_, u) => {
    const name = `user${u + 1}`;
    const messages = Array.from({ length: options.messages }, (_, i) => {
      // The large ones are spread through the mailbox rather than bunched at one end.
      const large = i % Math.ceil(options.messages / Math.max(1, options.large)) === 0 && options.large > 0;
      return message(name, i + 1, large ? options.largeBytes : options.smallBytes);
    });
    return { name, password: `Bench-Pass-${u + 1}-2026`, messages };
  });
}
