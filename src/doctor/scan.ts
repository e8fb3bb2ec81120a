// `doctor --scan DIR`: find bot tokens written into files (respecting .gitignore), never revealing the secret part.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { BotwardenError } from '../errors.js';
import { REDACTED_SECRET } from '../util/redact.js';
import type { Finding } from './findings.js';

/**
 * A token in text: `<bot id>:<35-char secret>`, with `:` possibly URL-encoded (`%3A`). The id may follow letters
 * (`/bot123456:AAE…/` in a URL path), but not more digits.
 */
const TOKEN_IN_TEXT = /(?<![0-9])(\d{3,20})(?::|%3[aA])[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g;

/** Folders never scanned: VCS metadata and installed dependencies. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

/** How many bytes are sniffed for a NUL byte to decide a file is binary. */
const BINARY_SNIFF_BYTES = 8000;

export interface ScanOptions {
  /** Files larger than this are skipped (unit: bytes). Default 2 MiB: tokens live in config and source, not dumps. */
  maxFileBytes?: number;
  /** Honour `.gitignore` files (root and nested) and `.git/info/exclude`. Default true. */
  respectGitignore?: boolean;
}

/** One token found in a file. The secret is never stored here. */
export interface TokenHit {
  /** Path as given to `scanForTokens` joined with the path inside it. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column of the token's first character. */
  column: number;
  /** The bot id (public part of the token). */
  botId: string;
  /** How the token is shown: `<id>:<redacted>`. */
  redacted: string;
}

export interface ScanResult {
  hits: TokenHit[];
  /** Files read and searched. */
  filesScanned: number;
  /** Files skipped as binary, too large, or unreadable. */
  filesSkipped: number;
}

/** Find every token-shaped string in one text; returns line/column/bot id, never the secret. */
export function findTokensInText(text: string, file: string): TokenHit[] {
  const hits: TokenHit[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineText = lines[i] ?? '';
    TOKEN_IN_TEXT.lastIndex = 0;
    for (const m of lineText.matchAll(TOKEN_IN_TEXT)) {
      const botId = m[1] ?? '';
      hits.push({ file, line: i + 1, column: (m.index ?? 0) + 1, botId, redacted: `${botId}:${REDACTED_SECRET}` });
    }
  }
  return hits;
}

interface Matcher {
  /** Absolute directory the `.gitignore` lives in; its patterns are relative to it. */
  base: string;
  ig: Ignore;
}

/** Walk `root` (a directory or a single file) and report every token found. */
export async function scanForTokens(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const maxFileBytes = opts.maxFileBytes ?? 2 * 1024 * 1024;
  const respectGitignore = opts.respectGitignore ?? true;
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (err) {
    throw new BotwardenError('SCAN_PATH', `--scan: ${root} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      exit: 'usage',
      hint: 'pass an existing directory, e.g. `botwarden doctor --scan .`',
      cause: err,
    });
  }
  const result: ScanResult = { hits: [], filesScanned: 0, filesSkipped: 0 };

  const scanFile = async (abs: string, shown: string, size: number): Promise<void> => {
    if (size > maxFileBytes) {
      result.filesSkipped++;
      return;
    }
    try {
      if (await looksBinary(abs)) {
        result.filesSkipped++;
        return;
      }
      const text = await readFile(abs, 'utf8');
      result.filesScanned++;
      result.hits.push(...findTokensInText(text, shown));
    } catch {
      result.filesSkipped++;
    }
  };

  if (!rootStat.isDirectory()) {
    await scanFile(root, root, rootStat.size);
    return result;
  }

  const rootMatchers: Matcher[] = [];
  if (respectGitignore) {
    const exclude = await readText(join(root, '.git', 'info', 'exclude'));
    if (exclude !== undefined) rootMatchers.push({ base: root, ig: ignore().add(exclude) });
  }

  const walk = async (dir: string, matchers: Matcher[]): Promise<void> => {
    let here = matchers;
    if (respectGitignore) {
      const gi = await readText(join(dir, '.gitignore'));
      if (gi !== undefined) here = [...matchers, { base: dir, ig: ignore().add(gi) }];
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = join(dir, e.name);
      // Symbolic links are not followed: no loops, no scanning outside DIR.
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(e.name) || isIgnored(here, abs, true)) continue;
        await walk(abs, here);
      } else if (e.isFile()) {
        if (isIgnored(here, abs, false)) continue;
        let size: number;
        try {
          size = (await stat(abs)).size;
        } catch {
          result.filesSkipped++;
          continue;
        }
        await scanFile(abs, join(root, relative(root, abs)), size);
      }
    }
  };
  await walk(root, rootMatchers);
  return result;
}

/** True when any `.gitignore` above `abs` ignores it (each matcher sees the path relative to its own folder). */
function isIgnored(matchers: readonly Matcher[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const m of matchers) {
    const rel = relative(m.base, abs).split(sep).join('/');
    if (!rel || rel.startsWith('..')) continue;
    const r = m.ig.test(isDir ? rel + '/' : rel);
    // A deeper .gitignore can re-include (`!pattern`) what a higher one ignored, and vice versa.
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function looksBinary(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, BINARY_SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead).includes(0);
  } finally {
    await fh.close();
  }
}

/** Turn scan hits into doctor findings: one per hit (cause: where; fix: revoke and move it out), or one ✔. */
export function scanFindings(result: ScanResult, root: string): Finding[] {
  if (result.hits.length === 0) {
    return [
      {
        id: 'scan-clean',
        ok: true,
        cause: `no bot token found in ${root} (${result.filesScanned} files searched, ${result.filesSkipped} skipped as binary/large/unreadable, .gitignore respected)`,
      },
    ];
  }
  return result.hits.map((h) => ({
    id: 'token-in-file',
    ok: false,
    cause: `${h.file}:${h.line}: bot token ${h.redacted} (bot ${h.botId}) is written in this file`,
    fix: `revoke it in @BotFather (/revoke), keep the new one in an env file outside the repo (mode 0600), and remove it from history (git filter-repo)`,
    file: h.file,
    line: h.line,
    botId: Number(h.botId),
  }));
}
