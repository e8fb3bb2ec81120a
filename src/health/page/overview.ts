// `botwarden up`'s overview page at `/`: one row per bot (role, leader's host, pid, restarts, memory, 409s absorbed,
// updates/min), each linking to that bot's own status page. Server-rendered text, no script, refreshed every 5 s.

/** What the overview reads: `up`'s /status (only the fields it shows). */
export interface OverviewInput {
  bots: Array<{
    name: string;
    role: string;
    bot: { username: string | null };
    child: { pid: number | null; restarts: number; memoryBytes: number | null };
    conflicts: number;
    lease: { holder: { host: string; pid: number } | null };
    updatesPerMin: number;
    error?: string;
  }>;
  host: { name: string; pid: number };
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The page's headers and HTML. */
export function renderOverview(s: OverviewInput): { headers: Record<string, string>; body: string } {
  const rows = s.bots
    .map((b) => {
      const holder = b.lease.holder ? `${b.lease.holder.host} pid ${b.lease.holder.pid}` : '—';
      const mem = b.child.memoryBytes === null ? '—' : `${(b.child.memoryBytes / 1048576).toFixed(1)} MB`;
      return `<tr><td><a href="/bots/${esc(b.name)}/">${esc(b.name)}</a></td><td>${esc(b.bot.username ? `@${b.bot.username}` : '')}</td><td>${esc(b.role)}${b.error ? `: ${esc(b.error)}` : ''}</td><td>${esc(holder)}</td><td>${b.child.pid ?? '—'}</td><td>${b.child.restarts}</td><td>${mem}</td><td>${b.conflicts}</td><td>${b.updatesPerMin}</td></tr>`;
    })
    .join('\n');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>botwarden up — ${esc(s.host.name)}</title></head>
<body><h1>botwarden up on ${esc(s.host.name)} (pid ${s.host.pid}): ${s.bots.length} bot(s)</h1>
<table border="1" cellpadding="4"><thead><tr><th>bot</th><th>username</th><th>role</th><th>leader</th><th>pid</th><th>restarts</th><th>memory</th><th>409s absorbed</th><th>updates/min</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p><a href="/status">/status</a> · <a href="/metrics">/metrics</a></p></body></html>
`;
  return { headers: HEADERS, body };
}

function esc(v: string): string {
  return v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
