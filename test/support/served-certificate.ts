// What a TLS client is served: `openssl s_client` connects (implicit TLS, or STARTTLS for SMTP,
// IMAP and POP3), and the certificate it got is read back with `openssl x509`.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

export interface ServedCertificate {
  /** SHA-1 thumbprint in upper-case hex, as Get-ExchangeCertificate shows it. */
  thumbprint: string;
  subject: string;
  /** s_client's "Verify return code" line when a CA file was given. */
  verify: string;
}

export function servedCertificate(port: number, options: { starttls?: 'smtp' | 'imap' | 'pop3'; servername?: string; caFile?: string } = {}): ServedCertificate {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts'];
  if (options.starttls) args.push('-starttls', options.starttls);
  if (options.servername) args.push('-servername', options.servername);
  if (options.caFile) args.push('-CAfile', options.caFile, ...(options.servername ? ['-verify_hostname', options.servername] : []));
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 15_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  if (!pem) throw new Error(`no certificate from port ${port}: ${r.stdout}\n${r.stderr}`);
  const cert = new X509Certificate(pem);
  return {
    thumbprint: cert.fingerprint.replace(/:/g, '').toUpperCase(),
    subject: cert.subject,
    verify: /Verify return code: ([^\n]*)/.exec(r.stdout)?.[1] ?? '',
  };
}

/** A CA and a certificate it signed for `names`, as PEM files in `dir` (openssl). */
export function issueWithTestCa(dir: string, names: string[], label: string, caName = 'ca'): { cert: string; key: string; ca: string } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ca = `${caName}.pem`;
  const caKey = `${caName}.key`;
  if (spawnSync('test', ['-f', `${dir}/${ca}`]).status !== 0) {
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '30', '-subj', `/CN=Mailroom Test CA ${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', `/CN=${names[0]}`]);
  const ext = `${label}.ext`;
  spawnSync('sh', ['-c', `printf 'subjectAltName=${names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\\nextendedKeyUsage=serverAuth\\n' > ${ext}`], { cwd: dir });
  run(['x509', '-req', '-in', `${label}.csr`, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', `${label}.pem`, '-days', '20', '-extfile', ext]);
  return { cert: `${dir}/${label}.pem`, key: `${dir}/${label}.key`, ca: `${dir}/${ca}` };
}
