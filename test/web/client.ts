// A small HTTP(S) client for the web tests: real sockets, the self-signed certificate accepted,
// a chosen local address (each test uses its own 127.0.0.x, so the logon throttle of one test
// never slows another), a cookie jar, and no automatic redirects.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  setCookies: string[];
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Form fields, sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

export function send(url: string, options: RequestOptions & { localAddress?: string } = {}): Promise<Response> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body = options.body;
  if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      localAddress: options.localAddress,
      rejectUnauthorized: false,
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'];
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          setCookies: Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [],
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${url}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The value of a hidden input, e.g. the form token. */
export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no hidden field ${name} in page`);
  return m[1]!.replace(/&amp;/g, '&');
}

export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** A browser in miniature: one client address and a cookie jar. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string, readonly localAddress = '127.0.0.1') {}

  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = { ...(cookie ? { cookie } : {}), ...(options.headers ?? {}) };
    const res = await send(this.base + path, { ...options, headers, localAddress: this.localAddress });
    for (const c of res.setCookies) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form of `page`, copying its token. */
  async post(path: string, fields: Record<string, string>, tokenFrom?: string): Promise<Response> {
    const form = tokenFrom ? { _csrf: hiddenField(tokenFrom, '_csrf'), ...fields } : fields;
    return this.request(path, { form });
  }

  async signIn(userName: string, password: string): Promise<Response> {
    const page = await this.get('/signin');
    return this.post('/signin', { username: userName, password }, page.body);
  }
}
