// The thread that recomputes imported crypt-style hashes (bcrypt, Argon2, SHA-crypt, MD5-crypt)
// for a password being checked. Each takes from milliseconds to a second of CPU on the thread it
// runs on, and bcryptjs and hash-wasm run on the calling thread, not libuv's pool; here they
// keep the event loop of every session free. It only computes: the comparison is the caller's.
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { argon2i, argon2id } from 'hash-wasm';
import { md5Crypt, shaCrypt } from './unix-crypt.ts';
import type { SlowHashReply, SlowHashRequest } from './slow-hash.ts';

async function compute(request: SlowHashRequest): Promise<string | Uint8Array> {
  const password = Buffer.from(request.password, 'utf8');
  switch (request.kind) {
    case 'bcrypt':
      // The setting is `$2y$NN$` and 22 salt characters; the answer is the whole 60-character string.
      return bcrypt.hashSync(request.password, request.setting);
    case 'sha-crypt':
      // No yielding: nothing else waits on this thread's event loop.
      return shaCrypt(password, request.setting, { yieldEvery: 0 });
    case 'md5-crypt':
      return md5Crypt(password, request.setting);
    case 'argon2i':
    case 'argon2id': {
      const options = {
        password,
        salt: request.salt,
        iterations: request.iterations,
        memorySize: request.memoryKiB,
        parallelism: request.parallelism,
        hashLength: request.hashLength,
        outputType: 'binary' as const,
      };
      return request.kind === 'argon2i' ? argon2i(options) : argon2id(options);
    }
  }
}

parentPort!.on('message', (request: SlowHashRequest) => {
  compute(request).then(
    (result) => parentPort!.postMessage({ id: request.id, result } satisfies SlowHashReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies SlowHashReply),
  );
});
