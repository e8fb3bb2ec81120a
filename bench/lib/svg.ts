// A dependency-free SVG chart for one table: one panel per metric, one horizontal bar per subject.
import { baselineOf, fmt, type BenchTable } from './table.js';

const WIDTH = 760;
const LABEL_W = 250;
const BAR_H = 18;
const GAP = 6;
const PANEL_TITLE_H = 26;
const PANEL_PAD = 14;
const VALUE_W = 110;
const COLORS = ['#2b7bb9', '#e07b39', '#5aa55a', '#b04a8f', '#8c6d31', '#6b6ecf', '#999999', '#d6616b'];

/** Escape text for SVG/XML. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Render the table as an SVG document (bars scaled per panel from 0 to the largest value). */
export function toSvg(t: BenchTable, subtitle = ''): string {
  const base = baselineOf(t);
  const panelH = PANEL_TITLE_H + t.subjects.length * (BAR_H + GAP) + PANEL_PAD;
  const top = 54;
  const height = top + t.metrics.length * panelH + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">${xmlEscape(t.title)}</text>`,
    `<text x="12" y="40" fill="#555">${xmlEscape(subtitle)}</text>`,
  ];
  const barMax = WIDTH - LABEL_W - VALUE_W - 20;
  t.metrics.forEach((m, mi) => {
    const y0 = top + mi * panelH;
    const values = t.subjects.map((s) => t.cells[s]?.[m.key]?.value ?? null);
    const max = Math.max(0, ...values.filter((v): v is number => v != null && Number.isFinite(v)));
    const better = m.lowerIsBetter === false ? 'higher is better' : 'lower is better';
    out.push(`<text x="12" y="${y0 + 17}" font-weight="bold">${xmlEscape(`${m.label}${m.unit ? ` (${m.unit})` : ''}`)}</text>`);
    out.push(`<text x="${WIDTH - 12}" y="${y0 + 17}" text-anchor="end" fill="#777">${better}</text>`);
    t.subjects.forEach((s, si) => {
      const y = y0 + PANEL_TITLE_H + si * (BAR_H + GAP);
      const v = values[si] ?? null;
      const cell = t.cells[s]?.[m.key];
      out.push(`<text x="${LABEL_W - 8}" y="${y + BAR_H - 5}" text-anchor="end"${s === base ? ' font-weight="bold"' : ''}>${xmlEscape(s)}</text>`);
      if (v == null || !Number.isFinite(v)) {
        out.push(`<text x="${LABEL_W + 4}" y="${y + BAR_H - 5}" fill="#999">${xmlEscape(`n/a${cell?.na ? ` — ${cell.na}` : ''}`)}</text>`);
        return;
      }
      const w = max > 0 ? Math.max(1, (v / max) * barMax) : 1;
      out.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[si % COLORS.length]}"><title>${xmlEscape(`${s}: ${fmt(v, m.unit)}`)}</title></rect>`);
      out.push(`<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + BAR_H - 5}">${xmlEscape(fmt(v, m.unit))}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
