// The node flags in a script's `#!/usr/bin/env -S node <flags>` line: whoever starts the botwarden executable as
// `node <script>` (a service definition, a benchmark) must pass them, or the process runs without them (the young
// generation cap alone is ~20 MB of RSS).
import { readFileSync } from 'node:fs';

/** The flags after `node` in `file`'s shebang line ([] when it has none, or cannot be read). */
export function shebangNodeFlags(file: string): string[] {
  let first: string;
  try {
    first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return [];
  }
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(first.trimEnd());
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}
