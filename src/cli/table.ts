/** Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned. */
export function renderTable(headers: string[], rows: (string | number)[][], options: { indent?: string } = {}): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+\s?\S{0,3}$/.test(String(r[i] ?? ''))),
  );
  const indent = options.indent ?? '';
  const line = (r: string[]): string =>
    indent +
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function renderPairs(pairs: [string, string | number | null | undefined][], indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${indent}${(k + ':').padEnd(width + 1)}  ${v ?? '—'}`)
    .join('\n');
}
