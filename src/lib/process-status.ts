// What the back-end process of a server tells the front-end process about itself, so that the
// web service (in the front-end process) shows the whole server when it runs as two processes:
// /metrics adds up both processes' metrics, and the admin center's session list shows the
// sessions the back end serves. One JSON document per connection on a Unix socket in the data
// folder's private run folder (lib/running-servers.ts localLinkPath, service "status"), which
// only the server's own account can open; the reader bounds its size and its time.
import { connect, createServer, type Server } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { listenPrivateSocket } from './running-servers.ts';

/** A registry's metrics as prom-client serializes them (Registry.getMetricsAsJSON). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** A logged-on POP3 or IMAP4 session, as the admin center lists it (auth's LiveSession). */
export interface StatusSession {
  protocol: 'IMAP4' | 'POP3';
  user: string;
  mailbox: string;
  client: string;
  since: Date;
}

export interface ProcessStatus {
  sessions: StatusSession[];
  metrics: MetricsJson;
}

/** A status document larger than this is refused (a busy back end's is some hundreds of KB). */
export const STATUS_LIMIT_BYTES = 32 * 1024 * 1024;
export const STATUS_TIMEOUT_MS = 3_000;

/** Serves `status()` to each connection on `path`; resolves once listening. */
export async function serveProcessStatus(path: string, status: () => Promise<ProcessStatus>, onError: (err: unknown) => void): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    status().then((s) => socket.end(JSON.stringify(s)), (err: unknown) => {
      onError(err);
      socket.destroy();
    });
  });
  await listenPrivateSocket(server, path);
  server.on('error', onError);
  return server;
}

/** Reads the status document the process at `path` serves. */
export function readProcessStatus(path: string, timeoutMs = STATUS_TIMEOUT_MS, limit = STATUS_LIMIT_BYTES): Promise<ProcessStatus> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => fail(new Error(`no status from ${path} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(new Error(`the status from ${path} is larger than ${limit} bytes`));
      chunks.push(chunk);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sessions?: unknown; metrics?: unknown };
        if (!Array.isArray(parsed.sessions) || !Array.isArray(parsed.metrics)) throw new Error('sessions and metrics are expected');
        const sessions = (parsed.sessions as (Omit<StatusSession, 'since'> & { since: string })[]).map((s) => ({ ...s, since: new Date(s.since) }));
        resolve({ sessions, metrics: parsed.metrics as MetricsJson });
      } catch (err) {
        reject(new Error(`the status from ${path} is not readable: ${(err as Error).message}`));
      }
    });
  });
}

/**
 * One set of metrics from several processes' (prom-client's cluster aggregation): counters and
 * histograms add up, and so do gauges unless the metric says otherwise (the process start time
 * is left out, the Node.js version taken from the first).
 */
export function aggregateMetrics(parts: MetricsJson[]): Registry {
  return AggregatorRegistry.aggregate(parts);
}
