// Certificates from an ACME certificate authority (RFC 8555), a step beyond Exchange: the
// issuance that New-AcmeCertificate runs, the HTTP-01 answers the web service serves on port 80,
// and the renewal the running server does on its own.
//
// Everything lives in the directory, so the cmdlet (another process) and the server share it:
// the account key (sealed like certificate keys), one record per managed certificate (names,
// CA, services, the thumbprint issued last), and the challenge answers while an order runs.
import type { Directory, Certificate } from '../directory/directory.ts';
import { AcmeClient, newAccountKey, type ChallengeType } from '../lib/acme/client.ts';
import { isBase64Url } from '../lib/acme/messages.ts';
import { createAlpnChallengeCertificate, createCertificateRequest, describeCertificate, pemBlocks } from '../lib/certificates.ts';
import type { Logger } from '../lib/log.ts';
import { acmeCertificateExpiry, acmeRenewalFailing, acmeRenewalFailures } from '../lib/metrics.ts';

export { LETS_ENCRYPT } from '../lib/acme/messages.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS acme_accounts (
  account_id TEXT PRIMARY KEY,
  key_pem TEXT NOT NULL,
  account_url TEXT
);
CREATE TABLE IF NOT EXISTS acme_certificates (
  server_key TEXT NOT NULL,
  domains TEXT NOT NULL,
  directory_url TEXT NOT NULL,
  services TEXT NOT NULL,
  contact TEXT,
  thumbprint TEXT NOT NULL,
  PRIMARY KEY (server_key, domains)
);
CREATE TABLE IF NOT EXISTS acme_challenges (
  token TEXT PRIMARY KEY,
  key_authorization TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acme_alpn_challenges (
  domain TEXT PRIMARY KEY,
  cert_pem TEXT NOT NULL,
  key_pem TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

/** How long a TLS-ALPN-01 answer is given to reach the web services (they read them every second). */
const ALPN_PUBLISH_DELAY_MS = 2500;

/** The challenge column came after the table; added where it is missing. */
const withChallengeColumn = new WeakSet<Directory>();
async function acmeTables(directory: Directory) {
  const db = await directory.tables(SCHEMA);
  if (!withChallengeColumn.has(directory)) {
    const has = await db.get(`SELECT challenge FROM acme_certificates WHERE 1 = 0`).then(() => true, () => false);
    if (!has) await db.exec(`ALTER TABLE acme_certificates ADD COLUMN challenge TEXT NOT NULL DEFAULT 'http-01'`).catch(() => undefined);
    withChallengeColumn.add(directory);
  }
  return db;
}

const ACCOUNT_KEY_PURPOSE = 'acme-account-key';

export interface AcmeRecord {
  server: string;
  domains: string[];
  directoryUrl: string;
  services: string[];
  contact: string | null;
  thumbprint: string;
  challenge: ChallengeType;
}

export interface AcmeRequest {
  serverName: string;
  domains: string[];
  directoryUrl: string;
  services: string[];
  contact: string | null;
  /** The CA's terms of service were accepted (-AcceptTermsOfService). */
  agreeTerms: boolean;
  /** HTTP-01 (port 80, the default) or TLS-ALPN-01 (port 443, for servers whose port 80 is closed). */
  challenge?: ChallengeType;
  timeoutMs?: number;
}

export class AcmeTermsError extends Error {}

const serverKey = (name: string) => name.trim().toLowerCase();

export async function acmeRecords(directory: Directory, serverName?: string): Promise<AcmeRecord[]> {
  const db = await acmeTables(directory);
  const rows = await db.all<Record<string, string | null>>(`SELECT server_key, domains, directory_url, services, contact, thumbprint, challenge FROM acme_certificates ORDER BY server_key, domains`);
  const servers = await directory.servers();
  return rows
    .filter((r) => serverName === undefined || r.server_key === serverKey(serverName))
    .map((r) => ({
      server: servers.find((s) => serverKey(s.name) === r.server_key)?.name ?? String(r.server_key),
      domains: JSON.parse(String(r.domains)) as string[],
      directoryUrl: String(r.directory_url),
      services: JSON.parse(String(r.services)) as string[],
      contact: r.contact ?? null,
      thumbprint: String(r.thumbprint),
      challenge: r.challenge === 'tls-alpn-01' ? 'tls-alpn-01' : 'http-01',
    }));
}

/** Stops renewing the certificate with this thumbprint (it was removed). */
export async function forgetAcmeCertificate(directory: Directory, thumbprint: string): Promise<void> {
  const db = await acmeTables(directory);
  await db.run(`DELETE FROM acme_certificates WHERE thumbprint = ?`, [thumbprint]);
}

/** The key authorization the web service answers for `token` (RFC 8555 §8.3), if an order waits for it. */
export async function acmeChallengeAnswer(directory: Directory, token: string): Promise<string | undefined> {
  if (!isBase64Url(token)) return undefined;
  const db = await acmeTables(directory);
  const row = await db.get<{ key_authorization: string }>(`SELECT key_authorization FROM acme_challenges WHERE token = ?`, [token]);
  return row?.key_authorization;
}

/** The TLS-ALPN-01 answers waiting now, by host name, for the web service's HTTPS listeners. */
export async function acmeAlpnChallenges(directory: Directory): Promise<Map<string, { certPem: string; keyPem: string }>> {
  const db = await acmeTables(directory);
  const rows = await db.all<{ domain: string; cert_pem: string; key_pem: string }>(`SELECT domain, cert_pem, key_pem FROM acme_alpn_challenges`);
  return new Map(rows.map((r) => [r.domain, { certPem: r.cert_pem, keyPem: r.key_pem }]));
}

/** The account of this server at this CA: made on first use, its key sealed in the directory. */
async function accountClient(directory: Directory, serverName: string, directoryUrl: string, contact: string | null, agreeTerms: boolean): Promise<AcmeClient> {
  const db = await acmeTables(directory);
  const id = `${serverKey(serverName)} ${directoryUrl}`;
  const row = await db.get<{ key_pem: string; account_url: string | null }>(`SELECT key_pem, account_url FROM acme_accounts WHERE account_id = ?`, [id]);
  let client: AcmeClient;
  if (row) client = AcmeClient.fromPem(directoryUrl, directory.secrets.open(row.key_pem, ACCOUNT_KEY_PURPOSE), row.account_url ?? undefined);
  else {
    const key = newAccountKey();
    client = new AcmeClient(directoryUrl, key);
    const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
    await db.run(`INSERT INTO acme_accounts (account_id, key_pem, account_url) VALUES (?, ?, NULL) ON CONFLICT (account_id) DO NOTHING`, [id, directory.secrets.seal(pem, ACCOUNT_KEY_PURPOSE)]);
  }
  if (!client.accountUrl) {
    const dir = await client.getDirectory();
    if (dir.termsOfService && !agreeTerms) {
      throw new AcmeTermsError(`The certificate authority asks you to accept its terms of service first: ${dir.termsOfService}. Read them, then run again with -AcceptTermsOfService.`);
    }
    const url = await client.account({ contact: contact ? [`mailto:${contact}`] : [], termsOfServiceAgreed: agreeTerms || dir.termsOfService !== undefined });
    await db.run(`UPDATE acme_accounts SET account_url = ? WHERE account_id = ?`, [url, id]);
  }
  return client;
}

/**
 * Orders a certificate for the request's names, answering HTTP-01 through the web service of the
 * running server (it reads the answers from the directory), stores it, enables it for the
 * services and records it for renewal. The new certificate is served within a second.
 */
export async function issueAcmeCertificate(directory: Directory, req: AcmeRequest): Promise<Certificate> {
  const db = await acmeTables(directory);
  const client = await accountClient(directory, req.serverName, req.directoryUrl, req.contact, req.agreeTerms);
  const { csrDer, keyPem } = await createCertificateRequest(req.domains);
  const chainPem = await client.order({
    domains: req.domains,
    csr: csrDer,
    timeoutMs: req.timeoutMs,
    challengeType: req.challenge ?? 'http-01',
    answerer: {
      publish: async (token, keyAuthorization, domain, type) => {
        if (type === 'http-01') {
          await db.run(`INSERT INTO acme_challenges (token, key_authorization, created_at) VALUES (?, ?, ?) ON CONFLICT (token) DO NOTHING`, [token, keyAuthorization, new Date().toISOString()]);
          return;
        }
        // A throwaway key, worthless once the CA has looked: kept as it is, not sealed.
        const { certPem, keyPem } = await createAlpnChallengeCertificate(domain, keyAuthorization);
        await db.run(
          `INSERT INTO acme_alpn_challenges (domain, cert_pem, key_pem, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (domain) DO UPDATE SET cert_pem = excluded.cert_pem, key_pem = excluded.key_pem, created_at = excluded.created_at`,
          [domain.toLowerCase(), certPem, keyPem, new Date().toISOString()],
        );
        await new Promise((r) => setTimeout(r, ALPN_PUBLISH_DELAY_MS));
      },
      unpublish: async (token, domain, type) => {
        if (type === 'http-01') await db.run(`DELETE FROM acme_challenges WHERE token = ?`, [token]);
        else await db.run(`DELETE FROM acme_alpn_challenges WHERE domain = ?`, [domain.toLowerCase()]);
      },
    },
  });
  const chain = pemBlocks(chainPem, ['-----BEGIN CERTIFICATE-----'], ['-----END CERTIFICATE-----']);
  if (chain.length === 0) throw new Error('The certificate authority sent no PEM certificate.');
  const material = describeCertificate(chain.join(''), keyPem);
  // In the order asked for: the first name is the certificate's subject, its label in logs and metrics.
  const domainsKey = JSON.stringify(req.domains.map((d) => d.toLowerCase()));
  // The record first, then the certificate: adding it moves the directory's revision, and the
  // running server then finds both.
  await db.run(
    `INSERT INTO acme_certificates (server_key, domains, directory_url, services, contact, thumbprint, challenge) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (server_key, domains) DO UPDATE SET directory_url = excluded.directory_url, services = excluded.services, contact = excluded.contact,
       thumbprint = excluded.thumbprint, challenge = excluded.challenge`,
    [serverKey(req.serverName), domainsKey, req.directoryUrl, JSON.stringify(req.services), req.contact, material.thumbprint, req.challenge ?? 'http-01'],
  );
  const cert: Certificate = { ...material, server: req.serverName, services: req.services };
  await directory.addCertificate(cert);
  return (await directory.certificates(req.serverName)).find((c) => c.thumbprint === cert.thumbprint) ?? cert;
}

/** When a certificate is renewed: at two thirds of its lifetime, plus up to 5% of it (at most 6 h) of jitter. */
export function renewalTime(cert: Pick<Certificate, 'notBefore' | 'notAfter'>, jitter: number): number {
  const from = Date.parse(cert.notBefore);
  const lifetime = Date.parse(cert.notAfter) - from;
  return from + (lifetime * 2) / 3 + Math.min(lifetime * 0.05, 6 * 3600_000) * jitter;
}

/** After `failures` failed attempts, the wait before the next: doubling from 1/50 of the lifetime (at least 5 s) up to 6 h. */
export function retryDelay(lifetimeMs: number, failures: number): number {
  const first = Math.max(lifetimeMs / 50, 5000);
  return Math.min(first * 2 ** Math.max(failures - 1, 0), 6 * 3600_000);
}

interface Tracked {
  record: AcmeRecord;
  due: number;
  failures: number;
}

/**
 * The renewal loop of a running server: each managed certificate of this server is renewed at
 * two thirds of its lifetime (jittered, so servers that got certificates together do not all
 * ask at once), and retried with back-off when that fails, with a log line and the
 * mailroom_acme_renewal_* metrics. The renewed certificate is enabled for the same services,
 * so the services switch to it at once, without a restart.
 */
export class AcmeRenewal {
  private readonly tracked = new Map<string, Tracked>();
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly directory: Directory, private readonly serverName: string, private readonly log: Logger, tickMs = 1000) {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  /** Reads the managed certificates again (after a directory change). */
  async refresh(): Promise<void> {
    const records = await acmeRecords(this.directory, this.serverName);
    const certificates = await this.directory.certificates(this.serverName);
    const seen = new Set<string>();
    for (const record of records) {
      const id = record.domains.join(',');
      seen.add(id);
      const cert = certificates.find((c) => c.thumbprint === record.thumbprint);
      const current = this.tracked.get(id);
      if (current && current.record.thumbprint === record.thumbprint) continue;
      if (!cert) {
        this.tracked.delete(id);
        continue;
      }
      acmeCertificateExpiry.set({ certificate: record.domains[0]! }, Math.floor(Date.parse(cert.notAfter) / 1000));
      this.tracked.set(id, { record, due: renewalTime(cert, Math.random()), failures: 0 });
    }
    for (const id of this.tracked.keys()) if (!seen.has(id)) this.tracked.delete(id);
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    const now = Date.now();
    const due = [...this.tracked.values()].find((t) => t.due <= now);
    if (!due) return;
    this.running = this.renew(due).finally(() => {
      this.running = undefined;
    });
  }

  private async renew(t: Tracked): Promise<void> {
    const { record } = t;
    const name = record.domains[0]!;
    const old = (await this.directory.certificates(this.serverName)).find((c) => c.thumbprint === record.thumbprint);
    const lifetime = old ? Date.parse(old.notAfter) - Date.parse(old.notBefore) : 90 * 86400_000;
    try {
      this.log.info({ domains: record.domains, acme: record.directoryUrl }, `ACME: renewing the certificate for ${record.domains.join(', ')}`);
      const cert = await issueAcmeCertificate(this.directory, {
        serverName: this.serverName, domains: record.domains, directoryUrl: record.directoryUrl, services: record.services, contact: record.contact, agreeTerms: true, challenge: record.challenge,
        timeoutMs: Math.min(Math.max(lifetime / 10, 30_000), 180_000),
      });
      // The one it replaces goes: its services moved to the new one, and nothing else names it.
      if (old && old.thumbprint !== cert.thumbprint) {
        await this.directory.removeCertificate(old.thumbprint).catch((err) => this.log.warn({ err, thumbprint: old.thumbprint }, 'ACME: removing the replaced certificate failed'));
      }
      acmeRenewalFailing.set({ certificate: name }, 0);
      this.log.info({ domains: record.domains, thumbprint: cert.thumbprint, notAfter: cert.notAfter }, `ACME: renewed the certificate for ${record.domains.join(', ')}: ${cert.thumbprint}, valid until ${cert.notAfter}`);
      await this.refresh();
    } catch (err) {
      t.failures++;
      t.due = Date.now() + retryDelay(lifetime, t.failures);
      acmeRenewalFailures.inc({ certificate: name });
      acmeRenewalFailing.set({ certificate: name }, 1);
      const expires = old ? `; the current certificate expires ${old.notAfter}` : '';
      this.log.error(
        { domains: record.domains, acme: record.directoryUrl, failures: t.failures, nextAttempt: new Date(t.due).toISOString() },
        `ACME: renewing the certificate for ${record.domains.join(', ')} failed (attempt ${t.failures}): ${err instanceof Error ? err.message : String(err)}; next attempt at ${new Date(t.due).toISOString()}${expires}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
