// `botwarden doctor`: explain what stands between this bot and exactly one live poller; changes nothing.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { allHealthy, renderFindings, renderFindingsJson, type Finding } from '../../doctor/findings.js';
import { scanFindings, scanForTokens } from '../../doctor/scan.js';

interface DoctorCliOptions {
  scan?: string;
  json?: boolean;
  maxFileSize?: number;
  gitignore?: boolean;
}

/** Register `botwarden doctor`. */
export function registerDoctorCommand(program: Command): void {
  const cmd = program
    .command('doctor')
    .description('check the token, webhook, local processes, lease and other pollers; changes nothing')
    .option('--scan <dir>', 'instead: report files and lines under DIR that hold a bot token (secret never printed)')
    .addOption(
      new Option('--max-file-size <bytes>', '--scan: skip files larger than this many bytes').default(2 * 1024 * 1024).argParser(parseBytes),
    )
    .option('--no-gitignore', '--scan: also search files that .gitignore excludes')
    .option('--json', 'print the findings as a JSON array [{id, ok, cause, fix, pid?}]');
  cmd.action(async (opts: DoctorCliOptions) => {
    let findings: Finding[];
    if (opts.scan !== undefined) {
      const result = await scanForTokens(opts.scan, {
        ...(opts.maxFileSize === undefined ? {} : { maxFileBytes: opts.maxFileSize }),
        respectGitignore: opts.gitignore !== false,
      });
      findings = scanFindings(result, opts.scan);
    } else {
      findings = [];
    }
    process.stdout.write(opts.json ? renderFindingsJson(findings) : renderFindings(findings));
    process.exitCode = allHealthy(findings) ? ExitCode.ok : ExitCode.failure;
  });
}

function parseBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`--max-file-size: expected a positive number of bytes, got ${JSON.stringify(value)}`);
  return n;
}
