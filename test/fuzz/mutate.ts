// Mutations for the fuzz targets: the byte-level moves of a coverage-guided fuzzer (flip, insert,
// delete, duplicate, splice two inputs) plus two that matter for a server: long repeats of one
// piece (where super-linear parsing shows) and tokens each grammar gives meaning to.
import { pick, randomInt } from '../support/random.ts';

type Random = () => number;

const MAX_LENGTH = 64 * 1024;

export function mutate(random: Random, input: Buffer, corpus: readonly Buffer[], tokens: readonly Buffer[]): Buffer {
  let out = Buffer.from(input);
  const steps = 1 + randomInt(random, 4);
  for (let s = 0; s < steps; s++) {
    const at = randomInt(random, out.length + 1);
    switch (randomInt(random, 9)) {
      case 0: // flip one bit
        if (out.length > 0) out[randomInt(random, out.length)]! ^= 1 << randomInt(random, 8);
        break;
      case 1: // a random byte
        out = Buffer.concat([out.subarray(0, at), Buffer.of(randomInt(random, 256)), out.subarray(at)]);
        break;
      case 2: // delete a range
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + randomInt(random, 16))]);
        break;
      case 3: // duplicate a range in place
      {
        const len = 1 + randomInt(random, 32);
        out = Buffer.concat([out.subarray(0, at + len), out.subarray(at, at + len), out.subarray(at + len)]);
        break;
      }
      case 4: // a grammar token
        if (tokens.length > 0) out = Buffer.concat([out.subarray(0, at), pick(random, tokens), out.subarray(at)]);
        break;
      case 5: // splice: this input's head, another's tail
      {
        const other = pick(random, corpus);
        out = Buffer.concat([out.subarray(0, at), other.subarray(randomInt(random, other.length + 1))]);
        break;
      }
      case 6: // truncate
        out = out.subarray(0, at);
        break;
      case 7: // a long repeat of one short piece: where backtracking and quadratic loops show
      {
        const piece = out.length > 0 ? out.subarray(at, at + 1 + randomInt(random, 4)) : pick(random, tokens);
        const times = 256 << randomInt(random, 6);
        out = Buffer.concat([out.subarray(0, at), Buffer.alloc(Math.min(piece.length * times, MAX_LENGTH / 2), piece.length ? piece : ' '), out.subarray(at)]);
        break;
      }
      default: // overwrite one byte with a token's first byte
        if (out.length > 0 && tokens.length > 0) out[randomInt(random, out.length)] = pick(random, tokens)[0] ?? 0;
    }
    if (out.length > MAX_LENGTH) out = out.subarray(0, MAX_LENGTH);
  }
  return out;
}
