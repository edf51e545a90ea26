/** A plain SVG bar chart of the service's ratios to each reference, with the targets marked. */
export function ratioChart(rows: Record<string, unknown>[], machine: string): string {
  const bars = rows.flatMap((row) =>
    Object.entries(row.ratios as Record<string, number>).map(([ref, ratio]) => ({
      label: `${String(row.workload)} @${String(row.connections)} vs ${ref}`,
      ratio,
    })),
  );
  const width = 760;
  const rowHeight = 26;
  const scale = (ratio: number) => Math.min(ratio, 2) * 250;
  const height = 60 + bars.length * rowHeight;
  const marks = [0.5, 0.7, 1].map(
    (target) =>
      `<line x1="${260 + scale(target)}" y1="40" x2="${260 + scale(target)}" y2="${height - 10}" stroke="#999" stroke-dasharray="4"/><text x="${260 + scale(target)}" y="34" font-size="11" text-anchor="middle">${target}×</text>`,
  );
  const rects = bars.map(
    (bar, i) =>
      `<text x="250" y="${62 + i * rowHeight}" font-size="12" text-anchor="end">${bar.label}</text>` +
      `<rect x="260" y="${48 + i * rowHeight}" width="${scale(bar.ratio)}" height="18" fill="${bar.ratio >= 0.7 ? '#3a7' : '#d73'}"/>` +
      `<text x="${266 + scale(bar.ratio)}" y="${62 + i * rowHeight}" font-size="12">${bar.ratio.toFixed(2)}×</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<text x="10" y="18" font-size="13">Service throughput as a ratio of each raw reference (req/s, medians) — ${machine}</text>
${marks.join('\n')}
${rects.join('\n')}
</svg>
`;
}
