// A private ACME certificate authority for tests: Debian's `pebble` with its own config (its
// HTTP-01 and TLS-ALPN-01 ports pointed at the Mailroom under test), and `pebble-challtestsrv`
// as its DNS server, answering 127.0.0.1 for every name. Pebble's own HTTPS listener gets a
// certificate from a test CA, which the Mailroom processes trust through NODE_EXTRA_CA_CERTS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { request } from 'node:https';
import { issueWithTestCa } from './served-certificate.ts';
import { freePort } from '../../bench/support/processes.ts';
export { freePort };

export const PEBBLE = '/usr/bin/pebble';
export const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';

export function pebbleInstalled(): boolean {
  return spawnSync(PEBBLE, ['-h']).error === undefined && spawnSync(CHALLTESTSRV, ['-h']).error === undefined;
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - start > timeoutMs) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Pebble {
  directoryUrl: string;
  /** The CA file Mailroom must trust to talk to pebble (NODE_EXTRA_CA_CERTS). */
  listenerCa: string;
  /** Pebble's issuing root, from its management interface, to check served certificates against. */
  root(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
  /** Stops pebble alone: the CA goes away, its DNS server stays. */
  stopCa(): Promise<void>;
}

export interface PebbleOptions {
  /** A folder of its own for each pebble. */
  dir: string;
  /** Mailroom's web ports (80 and 443 plus its port offset). */
  httpPort: number;
  tlsPort: number;
  /** Lifetime of issued certificates, in seconds. */
  validitySeconds?: number;
}

export async function startPebble(o: PebbleOptions): Promise<Pebble> {
  const dir = o.dir;
  mkdirSync(dir, { recursive: true });
  const listener = issueWithTestCa(dir, ['localhost', '127.0.0.1'], 'listener', 'listener-ca');
  const [acmePort, managementPort, dnsPort, challManagementPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = join(dir, 'pebble-config.json');
  writeFileSync(config, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: listener.cert,
      privateKey: listener.key,
      httpPort: o.httpPort,
      tlsPort: o.tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      ...(o.validitySeconds ? { certificateValidityPeriod: o.validitySeconds } : {}),
    },
  }));
  let out = '';
  const dns = spawn(CHALLTESTSRV, [
    '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '',
    '-management', `127.0.0.1:${challManagementPort}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  dns.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  dns.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let pebble: ChildProcess | undefined;
  const start = async () => {
    pebble = spawn(PEBBLE, ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Real validation, no random nonce rejection, no reuse of earlier authorizations (a
      // renewal is validated again), no artificial validation delay.
      env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '0', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', PEBBLE_VA_NOSLEEP: '1' },
    });
    pebble.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    pebble.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForPort(acmePort);
    await waitForPort(managementPort);
  };
  const stopPebble = async () => {
    const p = pebble;
    pebble = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    listenerCa: listener.ca,
    output: () => out,
    stopCa: stopPebble,
    root: () => new Promise((resolve, reject) => {
      request(`https://127.0.0.1:${managementPort}/roots/0`, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject).end();
    }),
    stop: async () => {
      await stopPebble();
      if (dns.exitCode === null) {
        const exited = new Promise((r) => dns.once('exit', r));
        dns.kill('SIGTERM');
        await exited;
      }
    },
  };
}
