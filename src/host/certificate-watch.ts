// Logs what each service serves when that changes, and a warning when a served certificate is
// expired or does not cover the names clients use. Checked at every configuration change and
// hourly (certificates expire with no change to the directory).
import type { Logger } from '../lib/log.ts';
import { certificateWarnings, servedCertificates, type CertificateScene } from '../certificates/choice.ts';

export class CertificateWatch {
  /** The thumbprint each service (or connector) served at the last check. */
  private readonly served = new Map<string, string>();
  /** Warnings already logged; a warning is logged again only after it went away. */
  private warned = new Set<string>();

  constructor(private readonly log: Logger) {}

  check(scene: CertificateScene, now = Date.now()): void {
    for (const s of servedCertificates(scene, now)) {
      const key = s.connector ? `SMTP ${s.connector}` : s.service;
      const thumbprint = s.certificate?.thumbprint ?? '';
      const before = this.served.get(key);
      if (before !== undefined && before !== thumbprint && s.certificate) {
        this.log.info({ service: s.service, connector: s.connector, thumbprint, names: s.certificate.names }, `${key} now serves certificate ${thumbprint}`);
      }
      this.served.set(key, thumbprint);
    }
    const current = new Set(certificateWarnings(scene, undefined, now));
    for (const warning of current) if (!this.warned.has(warning)) this.log.warn({ certificates: true }, warning);
    this.warned = current;
  }
}
