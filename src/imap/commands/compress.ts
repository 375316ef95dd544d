// COMPRESS DEFLATE (RFC 4978): halves the bytes of a sync on slow links (K-9 and Thunderbird for
// Android turn it on). Allowed once per connection.
import { deflateSocket } from '../../lib/deflate-stream.ts';
import { defineCommand, no } from '../session/command.ts';

export const compressCommand = defineCommand({
  name: 'COMPRESS',
  states: ['authenticated', 'selected'],
  async run(session, command) {
    if (session.compressed) throw no('DEFLATE is already active.', 'COMPRESSIONACTIVE');
    session.compressed = true;
    await session.layer(`${command.tag} OK DEFLATE active.\r\n`, deflateSocket);
  },
});
