/**
 * An inline SVG line chart of drifted and remediated resources over the last runs (issue 18:
 * "an inline SVG trend … over the last 30 runs"). Inline markup, no script and no external
 * image, so it renders under the report's Content-Security-Policy (default-src 'none') and from
 * file://. 30 points make about 1.5 KB.
 */

export interface TrendPoint {
  runId: string;
  startedAt: string;
  resourcesDrifted: number;
  remediated: number;
}

const W = 600;
const H = 120;
const PAD = 24;

const SERIES = [
  { key: "resourcesDrifted", label: "drifted", color: "#cf222e" },
  { key: "remediated", label: "remediated", color: "#1a7f37" },
] as const;

/** Points are oldest first. Values and ids are numbers and our own run ids; escaped anyway. */
export function trendSvg(points: readonly TrendPoint[]): string {
  if (points.length === 0) return "<p>No earlier runs yet.</p>";
  const max = Math.max(1, ...points.flatMap((p) => [p.resourcesDrifted, p.remediated]));
  const x = (i: number) => (points.length === 1 ? W / 2 : PAD + (i * (W - 2 * PAD)) / (points.length - 1));
  const y = (v: number) => H - PAD - (v * (H - 2 * PAD)) / max;
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const last = points[points.length - 1]!;
  const lines = SERIES.map(
    (s) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(" ")}"/>` +
      points.map((p, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(p[s.key]).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(p.runId)}: ${p[s.key]} ${s.label}</title></circle>`).join(""),
  ).join("");
  const legend = SERIES.map((s, i) => `<text x="${PAD + i * 110}" y="14" fill="${s.color}" font-size="12">${s.label} (${last[s.key]})</text>`).join("");
  const label = `Trend over ${points.length} run(s): ${SERIES.map((s) => `${s.label} ${points.map((p) => p[s.key]).join(", ")}`).join("; ")}`;
  return `<svg class="trend" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#d0d7de"/><text x="2" y="${(y(max) + 4).toFixed(1)}" font-size="10" fill="#57606a">${max}</text><text x="2" y="${H - PAD + 4}" font-size="10" fill="#57606a">0</text>${legend}${lines}<text x="${PAD}" y="${H - 6}" font-size="10" fill="#57606a">${esc(points[0]!.startedAt.slice(0, 16))}</text><text x="${W - PAD}" y="${H - 6}" font-size="10" fill="#57606a" text-anchor="end">${esc(last.startedAt.slice(0, 16))}</text></svg>`;
}
