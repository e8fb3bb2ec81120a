// `service install|uninstall`: validate once, plan the files (definition + 0600 secret file), write or print them.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BotwardenError, usageError } from '../errors.js';
import { botIdOf } from '../util/redact.js';
import { launchdInstallCommands, launchdLabel, launchdUninstallCommands, renderLaunchdPlist, renderTokenFile } from './launchd.js';
import { SECRET_FILE_TAG, WRITTEN_BY_MARKER, type ServicePlatform, type ServiceSpec } from './spec.js';
import { renderEnvFile, renderSystemdUnit, systemdInstallCommands, systemdUninstallCommands } from './systemd.js';
import { shebangNodeFlags } from '../util/shebang.js';
import { resolveStateDir } from '../config/run-config.js';
import { renderWindowsTokenFile, renderWindowsWrapper, windowsInstallCommands, windowsUninstallCommands } from './windows.js';

/** The options every `service install` takes, whatever the service runs. */
export interface ServiceCommonInput {
  /** Default: this OS (`linux` → systemd, `darwin` → launchd, `win32` → windows). */
  platform?: ServicePlatform;
  /** Default `botwarden-<bot id>` (`--up`: `botwarden-up-<config folder>`). */
  name?: string;
  /** Per-user service. Default false (a system service; needs root to install). */
  userService?: boolean;
  /** Folder for the definition file. Default: the manager's own (`/etc/systemd/system`, `~/.config/systemd/user`, …). */
  unitDir?: string;
  /** Folder for the 0600 secret file. Default: `unitDir` when given, else `/etc/botwarden` / `~/.config/botwarden` / …. */
  secretDir?: string;
  /** Service working directory. Default: the current directory. */
  workingDir?: string;
  /** botwarden's `--stop-timeout` (unit: ms). Default 10000. */
  stopTimeoutMs?: number;
  /** System services: account to run as. Default: the installing user unless that is root. */
  runAsUser?: string;
  /** Absolute path of the botwarden script to run. Default: the one running now. */
  botwardenBin?: string;
  /** PATH to give the service, so the bot command resolves as in this shell. Default: none. */
  path?: string;
}

/** Options of `service install` for one bot (`botwarden run`), as the CLI collected them. */
export interface ServiceInstallInput extends ServiceCommonInput {
  /** The bot token (from BOT_TOKEN or --token-file); required. */
  token: string | undefined;
  /** The bot command after `--`; required. */
  command: readonly string[];
  /** `botwarden run` options to put in the definition (never the token). */
  runArgs: readonly string[];
}

/** One file install writes. */
export interface PlannedFile {
  path: string;
  /** What is written. */
  content: string;
  /** What `--dry-run` prints: the same, with the token redacted. */
  shown: string;
  /** File mode: 0o600 for the secret file, 0o644 otherwise. */
  mode: number;
}

/** What install writes and what the user runs next. */
export interface ServicePlan {
  spec: ServiceSpec;
  files: PlannedFile[];
  /** Commands to run after the files are in place (botwarden never runs them itself). */
  nextCommands: string[];
  /** Lines for the user about the plan (`--up`: where each bot's token comes from). */
  notes: string[];
}

/** A valid service name. */
export const NAME = /^[A-Za-z0-9_.@-]{1,100}$/;

/** The platform for an OS: linux and the BSDs → systemd, darwin → launchd, win32 → windows. */
export function defaultPlatform(osPlatform: NodeJS.Platform = process.platform): ServicePlatform {
  if (osPlatform === 'darwin') return 'launchd';
  if (osPlatform === 'win32') return 'windows';
  return 'systemd';
}

/** Where a service's files go. */
export interface Locations {
  definitionFile: string;
  secretFile: string;
  logDir: string;
}

export function locations(platform: ServicePlatform, name: string, user: boolean, unitDir?: string, secretDir?: string, subcommand: 'run' | 'up' = 'run'): Locations {
  const home = homedir();
  let defDir: string;
  let secDir: string;
  let defFile: string;
  let secFile: string;
  let logDir: string;
  if (platform === 'systemd') {
    defDir = user ? join(home, '.config', 'systemd', 'user') : '/etc/systemd/system';
    secDir = user ? join(home, '.config', 'botwarden') : '/etc/botwarden';
    defFile = `${name}.service`;
    secFile = `${name}.env`;
    logDir = '';
  } else if (platform === 'launchd') {
    defDir = user ? join(home, 'Library', 'LaunchAgents') : '/Library/LaunchDaemons';
    secDir = user ? join(home, 'Library', 'Application Support', 'botwarden') : '/Library/Application Support/botwarden';
    defFile = `${launchdLabel(name)}.plist`;
    secFile = subcommand === 'up' ? `${name}.env` : `${name}.token`;
    logDir = user ? join(home, 'Library', 'Logs', 'botwarden') : '/Library/Logs/botwarden';
  } else {
    defDir = user ? join(home, 'AppData', 'Local', 'botwarden', 'service') : join('C:', 'ProgramData', 'botwarden');
    secDir = defDir;
    defFile = `${name}.cmd`;
    secFile = subcommand === 'up' ? `${name}.env` : `${name}.token`;
    logDir = defDir;
  }
  if (unitDir !== undefined) defDir = resolve(unitDir);
  if (secretDir !== undefined) secDir = resolve(secretDir);
  else if (unitDir !== undefined) secDir = defDir;
  return { definitionFile: join(defDir, defFile), secretFile: join(secDir, secFile), logDir };
}

/** Validate the input once and build the spec and the files to write. Throws usage errors (exit 2). */
export function planServiceInstall(input: ServiceInstallInput): ServicePlan {
  if (!input.token) {
    throw new BotwardenError('SERVICE_NO_TOKEN', 'service install: no bot token: it is written into the protected (0600) environment file', {
      exit: 'usage',
      hint: 'export BOT_TOKEN=<token from @BotFather> (or pass --token-file PATH), then run it again',
    });
  }
  const botId = botIdOf(input.token);
  if (botId === undefined) {
    throw new BotwardenError('TOKEN_FORMAT', 'service install: the token is not of the form <bot id>:<secret>', {
      exit: 'badToken',
      hint: 'copy the token again from @BotFather',
    });
  }
  if (input.command.length === 0 || !input.command[0]) {
    throw usageError('service install', 'the bot command after `--`', '(nothing)', 'e.g. botwarden service install -- python bot.py');
  }
  const base = planBase(input, `botwarden-${botId}`, 'run');
  return planFiles({
    ...base.spec,
    subcommand: 'run',
    description: `botwarden: Telegram bot ${botId} (${input.command.join(' ').slice(0, 80)})`,
    runArgs: base.spec.platform === 'windows' ? pinStateDir(input.runArgs) : [...input.runArgs],
    command: [...input.command],
    secret: { token: input.token },
  }, base.logDir);
}

/** The parts of a spec every service shares, validated: name, platform, files' places, node and script, account. */
export function planBase(input: ServiceCommonInput, defaultName: string, subcommand: 'run' | 'up'): { spec: Omit<ServiceSpec, 'subcommand' | 'description' | 'runArgs' | 'command' | 'secret'>; logDir: string } {
  const platform = input.platform ?? defaultPlatform();
  const name = input.name ?? defaultName;
  if (!NAME.test(name)) throw usageError('--name', 'letters, digits and ._@- (at most 100)', name);
  const stopTimeoutMs = input.stopTimeoutMs ?? 10_000;
  if (!Number.isFinite(stopTimeoutMs) || stopTimeoutMs < 0) throw usageError('--stop-timeout', 'a number of milliseconds ≥ 0', stopTimeoutMs);
  const userService = input.userService ?? false;
  const loc = locations(platform, name, userService, input.unitDir, input.secretDir, subcommand);
  const { bin, nodeArgs } = resolveBin(input.botwardenBin);
  const installer = safeUserName();
  const runAsUser = userService || platform !== 'systemd' ? undefined : (input.runAsUser ?? (installer && installer !== 'root' ? installer : undefined));
  return {
    spec: {
      platform,
      name,
      nodePath: process.execPath,
      nodeArgs,
      botwardenBin: bin,
      workingDir: resolve(input.workingDir ?? process.cwd()),
      secretFile: loc.secretFile,
      extraEnv: input.path ? { PATH: input.path } : {},
      stopTimeoutMs,
      userService,
      ...(runAsUser ? { runAsUser } : {}),
      definitionFile: loc.definitionFile,
    },
    logDir: loc.logDir,
  };
}

/** The files of a spec (the 0600 secret file first, then the definition) and the commands to run next. */
export function planFiles(spec: ServiceSpec, logDir: string, notes: string[] = []): ServicePlan {
  const files: PlannedFile[] = [];
  let nextCommands: string[];
  if (spec.platform === 'systemd') {
    files.push({ path: spec.secretFile, content: renderEnvFile(spec, false), shown: renderEnvFile(spec, true), mode: 0o600 });
    const unit = renderSystemdUnit(spec);
    files.push({ path: spec.definitionFile, content: unit, shown: unit, mode: 0o644 });
    nextCommands = systemdInstallCommands(spec);
  } else if (spec.platform === 'launchd') {
    files.push({ path: spec.secretFile, content: renderTokenFile(spec, false), shown: renderTokenFile(spec, true), mode: 0o600 });
    const plist = renderLaunchdPlist(spec, logDir);
    files.push({ path: spec.definitionFile, content: plist, shown: plist, mode: 0o644 });
    nextCommands = [`mkdir -p "${logDir}"`, ...launchdInstallCommands(spec)];
  } else {
    files.push({ path: spec.secretFile, content: renderWindowsTokenFile(spec, false), shown: renderWindowsTokenFile(spec, true), mode: 0o600 });
    const wrapper = renderWindowsWrapper(spec);
    files.push({ path: spec.definitionFile, content: wrapper, shown: wrapper, mode: 0o644 });
    nextCommands = windowsInstallCommands(spec);
  }
  return { spec, files, nextCommands, notes };
}

/**
 * Windows: the task runs as SYSTEM, whose default state dir (SYSTEM's %LOCALAPPDATA%) is not the one a user's
 * `botwarden stop` / `status` looks in. Unless `--state-dir` was given, the task gets the installing user's.
 */
export function pinStateDir(runArgs: readonly string[], config?: string): string[] {
  if (runArgs.some((a) => a === '--state-dir' || a.startsWith('--state-dir='))) return [...runArgs];
  return ['--state-dir', resolveStateDir(undefined, config === undefined ? {} : { config }), ...runArgs];
}

/** Write the planned files: the secret file 0600 (its folder 0700 when created), written atomically. */
export async function writeServiceFiles(plan: ServicePlan): Promise<void> {
  for (const f of plan.files) {
    const dir = dirname(f.path);
    try {
      await mkdir(dir, { recursive: true, ...(f.mode === 0o600 ? { mode: 0o700 } : {}) });
      // Created 0600/0644 before any byte is written, then renamed over the old one (on Windows see icacls).
      await writeFileAtomic(f.path, f.content, { mode: f.mode });
    } catch (err) {
      throw writeError(f.path, err);
    }
  }
}

/** What `uninstall` removed. */
export interface UninstallResult {
  removed: string[];
  nextCommands: string[];
}

/** Options of `service uninstall`. */
export interface ServiceUninstallInput {
  /** Service name; default `botwarden-<bot id>` (needs the token). */
  name?: string;
  token?: string | undefined;
  platform?: ServicePlatform;
  userService?: boolean;
  unitDir?: string;
  /** Dry run: report what would be removed, remove nothing. */
  dryRun?: boolean;
}

/** Remove the definition and the secret file that `install` wrote (refuses files botwarden did not write). */
export async function uninstallService(input: ServiceUninstallInput): Promise<UninstallResult> {
  const platform = input.platform ?? defaultPlatform();
  let name = input.name;
  if (name === undefined) {
    const id = input.token ? botIdOf(input.token) : undefined;
    if (id === undefined) {
      throw usageError('--name', 'the service name (or BOT_TOKEN / --token-file to derive botwarden-<bot id>)', '(nothing)');
    }
    name = `botwarden-${id}`;
  }
  if (!NAME.test(name)) throw usageError('--name', 'letters, digits and ._@- (at most 100)', name);
  const userService = input.userService ?? false;
  const loc = locations(platform, name, userService, input.unitDir);
  let text: string;
  try {
    text = await readFile(loc.definitionFile, 'utf8');
  } catch (err) {
    throw new BotwardenError('SERVICE_NOT_INSTALLED', `service uninstall: ${loc.definitionFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      exit: 'notRunning',
      hint: `check --name${userService ? '' : ' / --user'} / --unit-dir; installed definitions start with "# ${WRITTEN_BY_MARKER}"`,
      cause: err,
    });
  }
  if (!text.includes(WRITTEN_BY_MARKER)) {
    throw new BotwardenError('SERVICE_NOT_OURS', `service uninstall: ${loc.definitionFile} was not written by botwarden; not removing it`, {
      exit: 'usage',
      hint: 'remove it by hand if you are sure',
    });
  }
  const tagged = new RegExp(`${SECRET_FILE_TAG.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (.+?)(?: -->)?\\r?$`, 'm').exec(text)?.[1];
  const removed: string[] = [];
  const candidates = [loc.definitionFile, ...(tagged && isAbsolute(tagged) ? [tagged] : [])];
  for (const p of candidates) {
    if (!(await exists(p))) continue;
    if (!input.dryRun) {
      try {
        await rm(p, { force: true });
      } catch (err) {
        throw writeError(p, err);
      }
    }
    removed.push(p);
  }
  const nextCommands =
    platform === 'systemd' ? systemdUninstallCommands(name, userService) : platform === 'launchd' ? launchdUninstallCommands(name, userService) : windowsUninstallCommands(name);
  return { removed, nextCommands };
}

/**
 * The botwarden script to put in the definition, and the node arguments it needs: its shebang's V8 flags (the service
 * starts `node <script>`, so the shebang line is not read) and tsx when it is TypeScript.
 */
function resolveBin(explicit: string | undefined): { bin: string; nodeArgs: string[] } {
  const bin = resolve(explicit ?? process.argv[1] ?? new URL('../bin/botwarden.js', import.meta.url).pathname);
  const flags = shebangNodeFlags(bin);
  if (!bin.endsWith('.ts')) return { bin, nodeArgs: flags };
  // Running from source (development): tsx must be found from any working directory, so import it by path.
  let tsx = 'tsx';
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    // keep the bare name; works when the service's working directory has tsx installed
  }
  return { bin, nodeArgs: [...flags, '--import', tsx] };
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function writeError(path: string, err: unknown): BotwardenError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  const denied = code === 'EACCES' || code === 'EPERM';
  return new BotwardenError('SERVICE_WRITE', `service: cannot write ${path} (${code})`, {
    exit: denied ? 'usage' : 'failure',
    hint: denied ? 'a system service needs root: run it with sudo, or install a per-user service with --user' : 'check the folder exists and is writable',
    cause: err,
  });
}
