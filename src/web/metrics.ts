// Prometheus metrics of this process (/metrics; with the back ends in their own process, that
// process's figures are added: routes/ops.ts). Each web service has its own registry, so two
// services in one test process never collide over metric names. The protocol services' own
// metrics (command latency, deliveries, queue size: src/lib/metrics.ts) are added to it.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Authenticator, LogonProtocol } from '../auth/authenticator.ts';
import type { LiveSession } from '../auth/session-logon.ts';
import { registerSessionGauge } from '../lib/metrics.ts';

const PROTOCOLS: readonly LogonProtocol[] = ['imap', 'pop', 'smtp', 'web'];

export class WebMetrics {
  readonly registry = new Registry();
  readonly logons: Counter<'protocol' | 'result'>;
  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  private readonly unsubscribe: () => void;

  constructor(authenticator: Authenticator, webSessions: () => Promise<number>, liveSessions: () => LiveSession[] = () => []) {
    this.logons = new Counter({
      name: 'mailroom_logons_total',
      help: 'Logon attempts by protocol and result (ok, failed).',
      labelNames: ['protocol', 'result'],
      registers: [this.registry],
    });
    // Every series exists from the start, so rate() works before the first failure.
    for (const protocol of PROTOCOLS) for (const result of ['ok', 'failed']) this.logons.inc({ protocol, result }, 0);
    this.unsubscribe = authenticator.observe((protocol, ok) => this.logons.inc({ protocol, result: ok ? 'ok' : 'failed' }));

    this.httpRequests = new Histogram({
      name: 'mailroom_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: 'mailroom_web_sessions',
      help: 'Signed-in web sessions not yet expired, in the directory: every server\'s, not only this process\'s.',
      registers: [this.registry],
      async collect() {
        this.set(await webSessions());
      },
    });
    registerSessionGauge(this.registry, liveSessions);
    collectDefaultMetrics({ register: this.registry });
  }

  dispose(): void {
    this.unsubscribe();
    this.registry.clear();
  }
}
