// `service install --up`: one service that runs `botwarden up --config <absolute path>` for every bot of a config
// file. The tokens of tokenEnv variables set in this shell go into ONE protected (0600) file — systemd's
// EnvironmentFile, `up --env-file` for launchd and Windows — never into the definition; tokenFile paths are absolute.
import path from 'node:path';
import { BotwardenError } from '../errors.js';
import type { FleetSources } from '../config/index.js';
import { planBase, planFiles, pinStateDir, type ServiceCommonInput, type ServicePlan } from './install.js';

/** Options of `service install --up`, as the CLI collected them. */
export interface UpServiceInput extends ServiceCommonInput {
  /** The config file's bots and their token sources (config/fleet-sources.ts). */
  sources: FleetSources;
  /** `up` options for the definition, after `--config` (e.g. `--health-port 9100`); `--state-dir` absolute. */
  upArgs: readonly string[];
  /** tokenEnv variables the service gets another way (a systemd drop-in, …): not required in this shell. */
  providedEnv?: readonly string[];
}

/** The default service name for a config file: `botwarden-up-<its folder's name>`. */
export function upServiceName(configFile: string): string {
  const folder = path.basename(path.dirname(path.resolve(configFile))).replace(/[^A-Za-z0-9_.@-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return (folder ? `botwarden-up-${folder}` : 'botwarden-up').slice(0, 100);
}

/** Validate and plan the service for `botwarden up`. Throws a usage error (exit 2) naming every tokenEnv not set here. */
export function planUpServiceInstall(input: UpServiceInput): ServicePlan {
  const { sources } = input;
  const provided = new Set(input.providedEnv ?? []);
  const missing = sources.bots.flatMap((b) => (b.token.kind === 'missing' && !provided.has(b.token.variable) ? [`${b.token.variable} (bot "${b.name}")`] : []));
  if (missing.length) {
    throw new BotwardenError('SERVICE_NO_TOKEN', `service install --up: ${missing.length === 1 ? 'this tokenEnv variable is' : 'these tokenEnv variables are'} not set: ${missing.join(', ')}`, {
      exit: 'usage',
      hint: `export ${missing.map((m) => `${m.split(' ')[0]}=<token>`).join(' ')} in this shell (written into the protected file, never into the definition), or add ${missing.length === 1 ? 'it' : 'them'} to ${path.join(path.dirname(sources.configFile), '.env')}, or name them in --provided-env if the service gets them another way`,
    });
  }
  const env: Record<string, string> = {};
  const notes: string[] = [];
  for (const { name, token } of sources.bots) {
    if (token.kind === 'env') {
      env[token.variable] = token.value;
      notes.push(`bot "${name}": token from ${token.variable}, written into the protected file`);
    } else if (token.kind === 'dotenv') {
      notes.push(`bot "${name}": token from ${token.variable} in ${token.dotenvFile}, which "up" reads itself`);
    } else if (token.kind === 'missing') {
      notes.push(`bot "${name}": token from ${token.variable}, provided to the service another way (--provided-env)`);
    } else {
      notes.push(`bot "${name}": token read from ${token.file}${token.readable ? '' : ' (not readable by this user: the service\'s account must be able to read it)'}`);
    }
  }
  const base = planBase({ ...input, stopTimeoutMs: input.stopTimeoutMs ?? sources.maxStopTimeoutMs }, upServiceName(sources.configFile), 'up');
  const upArgs = ['--config', sources.configFile, ...input.upArgs];
  return planFiles(
    {
      ...base.spec,
      subcommand: 'up',
      description: `botwarden up: ${sources.bots.length} Telegram bot${sources.bots.length === 1 ? '' : 's'} of ${sources.configFile}`.slice(0, 200),
      // Windows: the task runs as SYSTEM; the installing user's state dir keeps `botwarden ls` / `stop` working.
      runArgs: base.spec.platform === 'windows' ? pinStateDir(upArgs, sources.configFile) : upArgs,
      command: [],
      secret: { env },
    },
    base.logDir,
    notes,
  );
}
