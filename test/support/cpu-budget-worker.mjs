// Runs the CPU-budget checks of client-input-cpu.test.ts in a worker thread: an expression that
// backtracks for hours cannot be interrupted on the thread that runs it, but a worker can be
// stopped. Worker threads do not inherit the TypeScript loader, so it is registered here.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { adversarialInputs } = await import('./adversarial.ts');

/** CPU milliseconds `run` takes (user and system, the whole process; the test's thread waits). */
function cpuMs(run) {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function measure(id, inputs, run) {
  parentPort.postMessage({ type: 'start', id });
  let worst = { ms: 0, label: '' };
  for (const input of inputs) {
    const ms = cpuMs(() => run(input.text));
    if (ms > worst.ms) worst = { ms, label: input.label };
  }
  parentPort.postMessage({ type: 'done', id, worst });
}

if (workerData.job === 'regexes') {
  for (const { id, source, flags } of workerData.items) {
    const regex = new RegExp(source, flags);
    // Global and sticky expressions are used to replace, split or match all: that is their work.
    const run = regex.global || regex.sticky ? (text) => text.replace(regex, '') : (text) => regex.exec(text);
    measure(id, adversarialInputs(source), run);
  }
} else {
  const { CLIENT_INPUT_CASES } = await import('./client-input-cases.ts');
  for (const c of CLIENT_INPUT_CASES) measure(c.name, c.inputs(), (text) => c.run(text));
}
parentPort.postMessage({ type: 'end' });
