// The protocol tests' SCRAM-SHA-256 client: the RFC 5802 client of the auth tests, with the
// messages as text since IMAP and POP3 carry them base64-encoded on a line.
import { ScramTestClient } from '../auth/helpers.ts';

export class ScramClient {
  private readonly client: ScramTestClient;

  constructor(user: string, password: string, authzid?: string) {
    this.client = new ScramTestClient(user, password, authzid === undefined ? {} : { authzid });
  }

  first(): string {
    return this.client.first().toString();
  }

  final(serverFirst: string): string {
    return this.client.final(Buffer.from(serverFirst)).toString();
  }

  verify(serverFinal: string): boolean {
    return this.client.verifyServerFinal(Buffer.from(serverFinal));
  }
}

