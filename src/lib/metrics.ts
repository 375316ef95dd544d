// Metrics the protocol services record and the web service's /metrics publishes: command
// latency per protocol, deliveries, and the outbound queue's size.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const serviceMetrics = new Registry();

export const commandSeconds = new Histogram({
  name: 'mailroom_command_duration_seconds',
  help: 'Time to answer a protocol command, by protocol (imap, pop) and command.',
  labelNames: ['protocol', 'command'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [serviceMetrics],
});

export const deliveries = new Counter({
  name: 'mailroom_deliveries_total',
  help: 'Local deliveries into mailboxes, by result (ok, quota, failed).',
  labelNames: ['result'],
  registers: [serviceMetrics],
});

let queueSize: (() => Promise<number>) | undefined;

/** The SMTP service tells how to count its outbound queue. */
export function setQueueSizeSource(source: (() => Promise<number>) | undefined): void {
  queueSize = source;
}

new Gauge({
  name: 'mailroom_queue_messages',
  help: 'Messages waiting in the outbound queue.',
  registers: [serviceMetrics],
  async collect() {
    this.set(queueSize ? await queueSize().catch(() => 0) : 0);
  },
});
