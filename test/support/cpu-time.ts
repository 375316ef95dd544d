// How much CPU a piece of work costs, for the tests that bound what hostile input may cost
// (linear, not quadratic). CPU time, unlike elapsed time, does not grow when other processes
// load the machine, so such a bound means the same on a busy test runner as on an idle one.

/** What `work` returned, and the CPU milliseconds (user and system, this process) it used. */
export function cpuCost<T>(work: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}
