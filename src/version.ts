// The package version, read once from package.json.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** botwarden's version, as in package.json. */
export const VERSION: string = pkg.version;
