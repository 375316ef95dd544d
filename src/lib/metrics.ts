// Metrics the protocol services record and the web service's /metrics publishes: command
// latency per protocol, deliveries, and the outbound queue's size.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The logged-on POP3 and IMAP4 sessions a process serves, by protocol: in the web service's
 * registry, and in a back-end process's (whose figures the front-end process adds to its own).
 */
export function registerSessionGauge(registry: Registry, liveSessions: () => readonly { protocol: string }[]): void {
  new Gauge({
    name: 'mailroom_sessions',
    help: 'Logged-on POP3 and IMAP4 sessions, by protocol.',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      const sessions = liveSessions();
      for (const protocol of ['IMAP4', 'POP3'] as const) this.set({ protocol }, sessions.filter((x) => x.protocol === protocol).length);
    },
  });
}

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

/** Mailbox database commits (each one fsync) and the writes they carried: their ratio is the group commit's gain. */
export const storeCommits = new Counter({
  name: 'mailroom_store_commits_total',
  help: 'Commits of mailbox databases (each made durable with one fsync).',
  registers: [serviceMetrics],
});

export const storeWrites = new Counter({
  name: 'mailroom_store_writes_total',
  help: 'Changes committed to mailbox databases (appends, flag changes, expunges...); several share a commit under load.',
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

/** Failed ACME renewals, by certificate (its first name): the alert to watch. */
export const acmeRenewalFailures = new Counter({
  name: 'mailroom_acme_renewal_failures_total',
  help: 'ACME certificate renewals that failed, by certificate (its first host name).',
  labelNames: ['certificate'],
  registers: [serviceMetrics],
});

/** 1 while the last renewal attempt of a certificate failed, 0 once one succeeds. */
export const acmeRenewalFailing = new Gauge({
  name: 'mailroom_acme_renewal_failing',
  help: '1 while the last ACME renewal attempt of the certificate failed, else 0.',
  labelNames: ['certificate'],
  registers: [serviceMetrics],
});

/** When each ACME certificate expires, so an alert can fire before clients notice. */
export const acmeCertificateExpiry = new Gauge({
  name: 'mailroom_acme_certificate_expiry_timestamp_seconds',
  help: 'Expiry (Unix time) of the certificate an ACME certificate authority issued last, by certificate.',
  labelNames: ['certificate'],
  registers: [serviceMetrics],
});
