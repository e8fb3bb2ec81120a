// `botwarden emulator`: a local Telegram Bot API (long polling, 409s, webhooks, faults) with a control API.
import { Command, InvalidArgumentError, Option } from '../commander.js';
import type { EmulatorOptions } from '../../emulator/index.js';
import { ExitCode } from '../../errors.js';

interface EmulatorCliOptions {
  host: string;
  port: number;
  conflictMode?: 'source' | 'newer_loses';
  deadPollHoldsSlot?: boolean;
  conflictDelayMs?: number;
  latencyMs?: number;
  webhookRetryScale?: number;
  requireHttpsWebhook?: boolean;
  errorStyle?: 'production' | 'opensource';
}

function parseNonNegative(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name}: expected a number ≥ 0, got "${v}"`);
    return n;
  };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0–65535, got "${v}"`);
  return n;
}

/** Register `botwarden emulator`. */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('run a local Telegram Bot API emulator (control API under /_emulator/); prints its URL when ready')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 8081)
    .addOption(new Option('--conflict-mode <mode>', 'who gets the 409 when two getUpdates overlap: the older (source) or the newer (newer_loses)').choices(['source', 'newer_loses']))
    .option('--dead-poll-holds-slot', 'a disconnected long poll keeps the slot until its timeout (open-source server behaviour)')
    .option('--conflict-delay-ms <ms>', '409s within this window after one are delayed by it (default 3000; 0 = off)', parseNonNegative('--conflict-delay-ms'))
    .option('--latency-ms <ms>', 'added before answering every Bot API request', parseNonNegative('--latency-ms'))
    .option('--webhook-retry-scale <x>', 'multiplies the webhook retry backoff (default 1)', parseNonNegative('--webhook-retry-scale'))
    .option('--require-https-webhook', 'refuse http webhooks and ports other than 80/88/443/8443, as production does')
    .addOption(new Option('--error-style <style>', 'texts for bad tokens and unknown methods').choices(['production', 'opensource']))
    .action(async (opts: EmulatorCliOptions) => {
      const o: EmulatorOptions = { host: opts.host, port: opts.port };
      if (opts.conflictMode) o.conflictMode = opts.conflictMode;
      if (opts.deadPollHoldsSlot) o.deadPollHoldsSlot = true;
      if (opts.conflictDelayMs !== undefined) o.conflictDelayMs = opts.conflictDelayMs;
      if (opts.latencyMs !== undefined) o.latencyMs = opts.latencyMs;
      if (opts.webhookRetryScale !== undefined) o.webhookRetryScale = opts.webhookRetryScale;
      if (opts.requireHttpsWebhook) o.webhookRequireHttps = true;
      if (opts.errorStyle) o.errorStyle = opts.errorStyle;
      const { startEmulator } = await import('../../emulator/index.js');
      const emu = await startEmulator(o);
      let onSignal: (() => void) | undefined;
      const stopped = new Promise<string>((resolve) => {
        onSignal = (): void => resolve('signal');
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      process.stdout.write(`botwarden emulator listening on ${emu.url} (control API: ${emu.url}/_emulator/)\n`);
      try {
        await stopped;
      } finally {
        if (onSignal) {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
        await emu.close();
        process.stdout.write('botwarden emulator stopped\n');
      }
      process.exitCode = ExitCode.ok;
    });
}
