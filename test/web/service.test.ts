// The web service itself: HTTP and HTTPS listeners, the IIS certificate, /healthz, /metrics,
// security headers, static files and error pages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Browser, send } from './client.ts';
import { ALICE_PW, startWebHarness, type WebHarness } from './harness.ts';

let h: WebHarness;

before(async () => {
  h = await startWebHarness();
});
after(async () => {
  await h?.close();
});

function peerCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'mail01.contoso.com' }, () => {
      const cert = s.getPeerX509Certificate();
      s.end();
      if (cert) resolve(cert.fingerprint256);
      else reject(new Error('no certificate'));
    });
    s.on('error', reject);
  });
}

describe('the web service', () => {
  test('listens on 80 and 443 plus the port offset, on both address families', () => {
    assert.equal(h.service.describe(), [
      `[::]:${80 + h.offset}`, `0.0.0.0:${80 + h.offset}`, `[::]:${443 + h.offset} (TLS)`, `0.0.0.0:${443 + h.offset} (TLS)`,
    ].join(', '));
  });

  test('HTTPS presents the certificate enabled for IIS', async () => {
    const [cert] = (await h.dir.certificates('MAIL01')).filter((c) => c.services.includes('IIS'));
    assert.ok(cert);
    assert.equal(await peerCertificate(443 + h.offset), new X509Certificate(cert.certPem).fingerprint256);
  });

  test('/healthz answers on HTTP and HTTPS', async () => {
    for (const base of [h.http, h.https]) {
      const res = await send(`${base}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'ok\n');
    }
  });

  test('/metrics: logons per protocol and result, request durations, web sessions', async () => {
    const b = new Browser(h.https, '127.0.0.40');
    await b.signIn('alice', ALICE_PW);
    await new Browser(h.https, '127.0.0.41').signIn('alice', 'Wrong-Pass-2026');
    const res = await send(`${h.http}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^mailroom_logons_total\{protocol="web",result="ok"\} 1$/m);
    assert.match(res.body, /^mailroom_logons_total\{protocol="web",result="failed"\} 1$/m);
    assert.match(res.body, /^mailroom_logons_total\{protocol="imap",result="failed"\} 0$/m);
    assert.match(res.body, /^mailroom_http_request_duration_seconds_count\{method="POST",route="\/signin",status="303"\} 1$/m);
    assert.match(res.body, /^mailroom_web_sessions 1$/m);
    assert.match(res.body, /^process_cpu_seconds_total /m);
  });

  test('pages carry security headers; static files are cached by version', async () => {
    const page = await send(`${h.https}/signin`);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'; script-src 'self'/);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const css = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(page.body)![1]!;
    const asset = await send(`${h.https}${css}`);
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /^text\/css/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const revalidated = await send(`${h.https}${css}`, { headers: { 'if-none-match': String(asset.headers.etag) } });
    assert.equal(revalidated.status, 304);
    assert.equal((await send(`${h.https}/static/nothing.js`)).status, 404);
  });

  test('unknown pages give a 404 page in the visitor\'s language', async () => {
    const res = await send(`${h.https}/no/such/page`, { headers: { accept: 'text/html', 'accept-language': 'zh-TW' } });
    assert.equal(res.status, 404);
    assert.match(res.body, /找不到頁面/);
    const api = await send(`${h.https}/no/such/page`);
    assert.equal(api.status, 404);
    assert.equal(api.body, 'Not found\n');
  });

  test('an oversized body is refused without reading it all', async () => {
    const res = await send(`${h.https}/autodiscover/autodiscover.xml`, { method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'content-type': 'text/xml' } });
    assert.equal(res.status, 413);
  });
});

describe('Set-WebSettings -MetricsBindings', () => {
  let h: WebHarness;
  before(async () => {
    h = await startWebHarness('mailroom-web-metrics-');
  });
  after(async () => h.close());

  async function apply(bindings: string[]): Promise<void> {
    const { ServiceHost } = await import('../../src/host/server.ts');
    await h.dir.updateSettings('WebSettings', { MetricsBindings: bindings }, 'MAIL01');
    await h.service.reconfigure(await new ServiceHost(h.deps, 'MAIL01', 'all').readSnapshot());
  }

  test('moves /metrics and /healthz to their own listener, which serves nothing else', async () => {
    // The binding's port plus the harness's random offset must stay a valid port: aim at 65000.
    const metricsPort = 65000 - h.offset;
    const metricsBase = `http://127.0.0.1:65000`;
    assert.equal((await send(`${h.http}/metrics`)).status, 200, 'shared by default');
    await apply([`127.0.0.1:${metricsPort}`]);
    const metrics = await send(`${metricsBase}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /mailroom_logons_total/);
    assert.equal((await send(`${metricsBase}/healthz`)).status, 200);
    assert.equal((await send(`${metricsBase}/signin`)).status, 404);
    assert.equal((await send(`${h.http}/metrics`)).status, 404, 'no longer on the public listener');
    assert.equal((await send(`${h.http}/healthz`)).status, 200);
    await apply([]);
    assert.equal((await send(`${h.http}/metrics`)).status, 200, 'back on the web listeners');
    await assert.rejects(send(`${metricsBase}/metrics`));
  });
});
