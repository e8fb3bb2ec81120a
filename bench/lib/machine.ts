// Describes the machine a benchmark ran on: CPU, cores, memory, Node, OS, load.
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** What a reader needs to judge the figures. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryMb: number;
  node: string;
  os: string;
  loadAvg1m: number;
  hostname: string;
}

/** Collect machine info (no side effects). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    os: `${osName()} (${os.platform()} ${os.release()} ${os.arch()})`,
    loadAvg1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    hostname: os.hostname(),
  };
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text);
    if (m?.[1]) return m[1];
  } catch {
    // not Linux, or no os-release: fall back to the kernel's name
  }
  return os.type();
}

/** One line for the top of the report. */
export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${(m.memoryMb / 1024).toFixed(1)} GB RAM, Node ${m.node}, ${m.os}, load ${m.loadAvg1m}`;
}
