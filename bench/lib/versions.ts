// Versions of everything compared, for the report header and JSON.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pm2Version } from '../peers/pm2.js';
import { supervisordVersion } from '../peers/supervisord.js';
import { ROOT, hasRun } from './botwarden.js';

/** botwarden, PM2, supervisord, grammY and Node versions (missing ones say so). */
export async function collectVersions(): Promise<Record<string, string>> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const grammy = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'grammy', 'package.json'), 'utf8')) as { version: string };
  return {
    botwarden: `${pkg.version}${(await hasRun()) ? '' : ' (run not built yet)'}`,
    pm2: pm2Version() ?? 'not installed',
    supervisord: (await supervisordVersion()) ?? 'not installed',
    grammy: grammy.version,
    node: process.version,
  };
}
