// The POP3 side of Test-PopConnectivity: log on (TLS from the start, STLS, or in the clear),
// and in full mode find the test message by its Subject field (TOP n 0) and delete it.
import type { ConnectionType, Credential } from './imap-probe.ts';
import { ProbeConnection, ProbeError, type ProbeTarget } from './probe-connection.ts';

export class Pop3Probe {
  private constructor(private readonly conn: ProbeConnection) {}

  static async logon(target: ProbeTarget, type: ConnectionType, credential: Credential): Promise<Pop3Probe> {
    const conn = await ProbeConnection.open(target, type === 'Ssl');
    const probe = new Pop3Probe(conn);
    try {
      const greeting = await conn.readLine();
      if (!greeting.startsWith('+OK')) throw new ProbeError(`The server greeted with '${greeting}' instead of +OK.`);
      if (type === 'Tls') {
        await probe.command('STLS', 'STLS');
        await conn.upgrade();
      }
      // AUTH PLAIN (RFC 5034) carries any password; USER/PASS could not carry every character.
      conn.write('AUTH PLAIN');
      const next = await conn.readLine();
      if (!next.startsWith('+')) {
        throw new ProbeError(next.startsWith('-ERR') && type === 'Plaintext'
          ? `The server refuses logons without TLS (${next}): its LoginType needs TLS first. Test with -ConnectionType Ssl or Tls.`
          : `AUTH PLAIN was refused: ${next}`);
      }
      conn.write(Buffer.from(`\0${credential.user}\0${credential.password}`, 'utf8').toString('base64'));
      const answer = await conn.readLine();
      if (!answer.startsWith('+OK')) throw new ProbeError(`logon failed: ${answer}`);
      return probe;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private async command(text: string, what: string): Promise<string> {
    this.conn.write(text);
    const line = await this.conn.readLine();
    if (!line.startsWith('+OK')) throw new ProbeError(`${what} failed: ${line}`);
    return line;
  }

  /** A multi-line answer's lines, dot-unstuffed (RFC 1939 §3). */
  private async multiline(text: string, what: string): Promise<string[]> {
    await this.command(text, what);
    const lines: string[] = [];
    for (;;) {
      const line = await this.conn.readLine();
      if (line === '.') return lines;
      lines.push(line.startsWith('.') ? line.slice(1) : line);
    }
  }

  /** Message numbers whose Subject field contains `subject`, newest first. */
  async find(subject: string): Promise<number[]> {
    const stat = await this.command('STAT', 'STAT');
    const count = Number(stat.split(' ')[1]);
    const found: number[] = [];
    // The test message is among the newest; look at the last 50 at most.
    for (let n = count; n >= 1 && n > count - 50; n--) {
      const header = await this.multiline(`TOP ${n} 0`, 'TOP');
      if (header.some((l) => l.toLowerCase().startsWith('subject:') && l.includes(subject))) found.push(n);
    }
    return found;
  }

  async delete(numbers: number[]): Promise<void> {
    for (const n of numbers) await this.command(`DELE ${n}`, 'DELE');
  }

  /** QUIT commits the deletions (RFC 1939 §6). */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT', 'QUIT');
    } finally {
      this.conn.close();
    }
  }
}
