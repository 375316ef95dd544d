// The stylesheet, script and icon, read once at start. Pages link them with a content hash in
// the query, so browsers may keep them for a year and still see a new version at once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StaticAsset {
  body: Buffer;
  type: string;
  hash: string;
}

const TYPES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map(
  Object.entries(TYPES).map(([name, type]) => {
    const body = readFileSync(join(import.meta.dirname, 'static', name));
    return [name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) }];
  }),
);

/** /static/<name>?v=<hash> */
export function assetUrl(name: string): string {
  const asset = STATIC_ASSETS.get(name);
  if (!asset) throw new Error(`no static asset ${name}`);
  return `/static/${name}?v=${asset.hash}`;
}
