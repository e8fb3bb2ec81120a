// Secrets and constant-time comparison without loading node:crypto (~1.5 MB RSS for OpenSSL's bindings, which a
// `botwarden run` talking plain HTTP to a local Bot API would carry for nothing). Random bytes come from the kernel's
// CSPRNG (/dev/urandom, what OpenSSL seeds from); where that file does not exist (Windows) node:crypto is loaded.
import { closeSync, openSync, readSync } from 'node:fs';
import { lazyRequire } from './lazy-require.js';
import type nodeCrypto from 'node:crypto';

let urandom: number | undefined | null;

/** node:crypto, loaded on first need. */
export function loadCrypto(): typeof nodeCrypto {
  return lazyRequire('node:crypto') as typeof nodeCrypto;
}

/** `n` cryptographically strong random bytes. */
export function randomBytes(n: number): Buffer {
  if (urandom === undefined) {
    try {
      urandom = process.platform === 'win32' ? null : openSync('/dev/urandom', 'r');
    } catch {
      urandom = null;
    }
  }
  if (urandom !== null) {
    const out = Buffer.alloc(n);
    let got = 0;
    try {
      while (got < n) {
        const r = readSync(urandom, out, got, n - got, null);
        if (r <= 0) break;
        got += r;
      }
    } catch {
      got = -1;
    }
    if (got === n) return out;
    closeQuietly(urandom);
    urandom = null;
  }
  return loadCrypto().randomBytes(n);
}

/** A random RFC 4122 version 4 UUID. */
export function randomUUID(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * True when `a` and `b` hold the same bytes, in time that depends only on their lengths (no early exit on the first
 * difference). Buffers of different length are unequal; the loop still runs over `a`.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length === b.length ? 0 : 1;
  const other = a.length === b.length ? b : a;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (other[i] as number);
  return diff === 0;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
