// The status page's files as served: HTML, script and stylesheet, with their content types and ETags.
import { loadCrypto } from '../../util/crypto-lite.js';
import { PAGE_JS } from './client.js';
import { PAGE_HTML } from './html.js';
import { PAGE_CSS } from './style.js';

/** One file of the page. */
export interface PageAsset {
  contentType: string;
  body: Buffer;
  etag: string;
}

function make(contentType: string, text: string): PageAsset {
  const body = Buffer.from(text, 'utf8');
  return { contentType, body, etag: `"${loadCrypto().createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

const ASSETS: Record<string, PageAsset> = {
  '/': make('text/html; charset=utf-8', PAGE_HTML),
  '/_page/app.js': make('text/javascript; charset=utf-8', PAGE_JS),
  '/_page/app.css': make('text/css; charset=utf-8', PAGE_CSS),
};

/** The asset at `pathname` (`/index.html` is `/`). */
export function asset(pathname: string): PageAsset {
  return ASSETS[pathname === '/index.html' ? '/' : pathname] ?? ASSETS['/']!;
}

/** Every asset by path (tests weigh and inspect them). */
export function allAssets(): Readonly<Record<string, PageAsset>> {
  return ASSETS;
}
