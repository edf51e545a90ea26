export interface RatioBar {
  label: string;
  ratio: number;
  /** The target for this ratio: the bar is green when it is met. */
  goal: number;
}

/** A plain SVG bar chart of the service's ratios to each reference, each target marked on its bar. */
export function ratioChart(bars: RatioBar[], machine: string): string {
  const width = 820;
  const rowHeight = 26;
  const scale = (ratio: number) => Math.min(ratio, 2) * 250;
  const height = 60 + bars.length * rowHeight;
  const marks = [0.5, 0.7, 1].map(
    (mark) =>
      `<line x1="${300 + scale(mark)}" y1="40" x2="${300 + scale(mark)}" y2="${height - 10}" stroke="#ccc" stroke-dasharray="4"/><text x="${300 + scale(mark)}" y="34" font-size="11" text-anchor="middle">${mark}×</text>`,
  );
  const rects = bars.map((bar, i) => {
    const y = 48 + i * rowHeight;
    return (
      `<text x="290" y="${y + 14}" font-size="12" text-anchor="end">${bar.label}</text>` +
      `<rect x="300" y="${y}" width="${scale(bar.ratio)}" height="18" fill="${bar.ratio >= bar.goal ? '#3a7' : '#d73'}"/>` +
      `<line x1="${300 + scale(bar.goal)}" y1="${y - 2}" x2="${300 + scale(bar.goal)}" y2="${y + 20}" stroke="#000" stroke-width="2"/>` +
      `<text x="${306 + scale(bar.ratio)}" y="${y + 14}" font-size="12">${bar.ratio.toFixed(2)}× (target ${bar.goal}×)</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" font-size="13">Service as a ratio of each raw reference (medians of alternating runs); black tick = target. ${machine}</text>
${marks.join('\n')}
${rects.join('\n')}
</svg>
`;
}
