// A server's memory as Linux's /proc reports it, for tests that bound what an input may cost:
// summed over the server's processes (the supervisor, the front end and the back end).
import { readFileSync, writeFileSync } from 'node:fs';
import { serverPids } from '../helpers.ts';

/**
 * Resident memory now and at its peak (VmRSS, VmHWM), in bytes, over the processes of the server
 * whose top process is `pid`: a sum of peaks, so at least the real peak.
 */
export function serverMemory(pid: number): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const p of serverPids(pid)) {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
    rss += kb('VmRSS');
    peak += kb('VmHWM');
  }
  return { rss, peak };
}

/** Starts a new peak in each of the server's processes: VmHWM becomes the current RSS (proc(5), clear_refs "5"). */
export function resetServerPeak(pid: number): void {
  for (const p of serverPids(pid)) writeFileSync(`/proc/${p}/clear_refs`, '5');
}
