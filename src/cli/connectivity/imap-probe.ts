// The IMAP4 side of Test-ImapConnectivity: log on as a mail client does (TLS from the start, or
// STARTTLS, or in the clear), and in full mode find the test message by its subject and delete
// it, with any test message older than a day (as Exchange's test does).
import { ProbeConnection, ProbeError, type ProbeTarget } from './probe-connection.ts';

export type ConnectionType = 'Plaintext' | 'Ssl' | 'Tls';

export interface Credential {
  user: string;
  password: string;
}

/** An IMAP string: quoted when it is plain ASCII without quote or backslash trouble, else a literal is not needed here. */
function quoted(text: string): string {
  let out = '"';
  for (const ch of text) out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  return `${out}"`;
}

export class ImapProbe {
  private tagCounter = 0;
  private capabilities: string[] = [];

  private constructor(private readonly conn: ProbeConnection) {}

  /** Connects and logs on; throws ProbeError with what went wrong. */
  static async logon(target: ProbeTarget, type: ConnectionType, credential: Credential): Promise<ImapProbe> {
    const conn = await ProbeConnection.open(target, type === 'Ssl');
    const probe = new ImapProbe(conn);
    try {
      const greeting = await conn.readLine();
      if (!greeting.startsWith('* OK')) throw new ProbeError(`The server greeted with '${greeting}' instead of * OK.`);
      await probe.refreshCapabilities();
      if (type === 'Tls') {
        if (!probe.capabilities.includes('STARTTLS')) throw new ProbeError('The server does not offer STARTTLS on this port.');
        await probe.command('STARTTLS');
        await conn.upgrade();
        await probe.refreshCapabilities();
      }
      if (probe.capabilities.includes('LOGINDISABLED')) {
        throw new ProbeError('The server refuses logons on this connection (LOGINDISABLED): its LoginType needs TLS first. Test with -ConnectionType Ssl or Tls.');
      }
      // AUTHENTICATE PLAIN carries any password, including characters a quoted LOGIN string cannot.
      const tag = probe.nextTag();
      conn.write(`${tag} AUTHENTICATE PLAIN`);
      const next = await conn.readLine();
      if (!next.startsWith('+')) throw new ProbeError(`AUTHENTICATE PLAIN was refused: ${next}`);
      conn.write(Buffer.from(`\0${credential.user}\0${credential.password}`, 'utf8').toString('base64'));
      await probe.finish(tag, 'logon');
      return probe;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private nextTag(): string {
    return `t${++this.tagCounter}`;
  }

  private async refreshCapabilities(): Promise<void> {
    const lines = await this.command('CAPABILITY');
    const line = lines.find((l) => l.toUpperCase().startsWith('* CAPABILITY '));
    this.capabilities = line ? line.slice('* CAPABILITY '.length).toUpperCase().split(' ') : [];
  }

  /** Reads to the tagged answer; its untagged lines come back. NO/BAD become ProbeErrors. */
  private async finish(tag: string, what: string): Promise<string[]> {
    const untagged: string[] = [];
    for (;;) {
      const line = await this.conn.readLine();
      if (line.startsWith(`${tag} `)) {
        const rest = line.slice(tag.length + 1);
        if (rest.toUpperCase().startsWith('OK')) return untagged;
        throw new ProbeError(`${what} failed: ${rest}`);
      }
      // A literal inside an untagged answer: read it so the next line is a line.
      const open = line.lastIndexOf('{');
      if (line.endsWith('}') && open >= 0) {
        const size = Number(line.slice(open + 1, -1));
        if (Number.isInteger(size) && size >= 0) await this.conn.readBytes(size);
      }
      untagged.push(line);
    }
  }

  private async command(text: string): Promise<string[]> {
    const tag = this.nextTag();
    this.conn.write(`${tag} ${text}`);
    return this.finish(tag, text.split(' ')[0]!);
  }

  /** UIDs in INBOX whose subject contains `subject` (and that arrived before `before`, when given). */
  async search(subject: string, before?: Date): Promise<number[]> {
    await this.command('SELECT INBOX');
    const date = before ? ` BEFORE ${before.getUTCDate()}-${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][before.getUTCMonth()]}-${before.getUTCFullYear()}` : '';
    const lines = await this.command(`UID SEARCH SUBJECT ${quoted(subject)}${date}`);
    const line = lines.find((l) => l.toUpperCase().startsWith('* SEARCH'));
    if (!line) return [];
    return line.slice('* SEARCH'.length).trim().split(' ').filter((s) => s !== '').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  }

  /** Deletes the messages for good (they go to Recoverable Items, as any expunge). */
  async remove(uids: number[]): Promise<void> {
    if (uids.length === 0) return;
    await this.command(`UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)`);
    await this.command(this.capabilities.includes('UIDPLUS') ? `UID EXPUNGE ${uids.join(',')}` : 'EXPUNGE');
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // The server may close first; the test is over either way.
    } finally {
      this.conn.close();
    }
  }
}
