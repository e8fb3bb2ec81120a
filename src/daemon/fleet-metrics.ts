// `up`'s /metrics: the process metrics once, then every bot's metrics with a `bot="<name>"` label, one family each.

/** A metric family gathered from several bots' expositions. */
interface Family {
  head: string[];
  samples: string[];
}

/** Merge Prometheus text expositions of several bots into one, each sample labelled with its bot's name. */
export function mergeBotExpositions(parts: ReadonlyArray<{ bot: string; text: string }>): string {
  const families = new Map<string, Family>();
  for (const { bot, text } of parts) {
    const label = `bot="${escapeLabel(bot)}"`;
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = families.get(name);
        if (!current) {
          current = { head: [], samples: [] };
          families.set(name, current);
        }
        if (current.head.length < 2 && !current.head.some((h) => h.startsWith(`# ${meta[1]} `))) current.head.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      const withLabels = /^([A-Za-z_:][\w:]*)\{(.*)\}(\s.*)$/.exec(line);
      const sample = withLabels ? `${withLabels[1]}{${label},${withLabels[2]}}${withLabels[3]}` : line.replace(/^([A-Za-z_:][\w:]*)(\s)/, `$1{${label}}$2`);
      if (!current) {
        const name = /^[A-Za-z_:][\w:]*/.exec(line)?.[0] ?? line;
        current = families.get(name) ?? { head: [], samples: [] };
        families.set(name, current);
      }
      current.samples.push(sample);
    }
  }
  let out = '';
  for (const f of families.values()) out += [...f.head, ...f.samples].join('\n') + '\n';
  return out;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
