// Worker threads do not inherit the TypeScript loader of the thread that starts them: this
// plain module registers it, then loads the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./slow-hash-worker.ts');
