// Reads the event lines fixture bots append to their stamp file: "<event> <wall-clock ms> <pid>".
import { readFileSync } from 'node:fs';

/** One line a fixture wrote. */
export interface StampEvent {
  event: string;
  at: number;
  pid: number;
}

/** All events in the file, in order (empty when the file does not exist yet). */
export function readStamps(file: string): StampEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const events: StampEvent[] = [];
  for (const line of text.split('\n')) {
    const [event, at, pid] = line.trim().split(' ');
    if (!event || !at) continue;
    events.push({ event, at: Number(at), pid: Number(pid ?? 0) });
  }
  return events;
}

/**
 * Restart latencies from a crasher's stamps: for each "exit" followed by a "start", start − exit (ms).
 * Returns them in order; the first is the first restart.
 */
export function restartGaps(events: readonly StampEvent[]): number[] {
  const gaps: number[] = [];
  let lastExit: number | undefined;
  for (const e of events) {
    if (e.event === 'exit') lastExit = e.at;
    else if (e.event === 'start' && lastExit !== undefined) {
      gaps.push(e.at - lastExit);
      lastExit = undefined;
    }
  }
  return gaps;
}
