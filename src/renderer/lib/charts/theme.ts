/** Chart colors come from the same CSS variables as the rest of the UI, so dark mode needs no second palette. */
export interface ChartTheme {
  bar: string;
  grid: string;
  text: string;
  font: string;
  /** Latency samples drawn as dots. */
  point: string;
  /** Samples beyond the axis and the histogram's tail bar. */
  outlier: string;
  /** Reference lines such as the median. */
  line: string;
}

export function readChartTheme(element: Element): ChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    bar: read('--chart-bar', '#6366f1'),
    grid: read('--chart-grid', '#e6e8ec'),
    text: read('--chart-text', '#5d6673'),
    font: read('--font-ui', 'system-ui, sans-serif'),
    point: read('--chart-point', 'rgb(99 102 241 / 0.45)'),
    outlier: read('--chart-outlier', '#d97706'),
    line: read('--chart-line', '#1b1f24'),
  };
}

/** Calls back when the OS switches between light and dark; returns the unsubscribe function. */
export function onColorSchemeChange(callback: () => void): () => void {
  const query = matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', callback);
  return () => query.removeEventListener('change', callback);
}

/** Axis titles and ticks in the UI's font and muted text colour. */
export function chartText(theme: ChartTheme) {
  return { color: theme.text, font: { family: theme.font } };
}

/** Tooltips in the UI's font. */
export function tooltipFonts(theme: ChartTheme) {
  return { titleFont: { family: theme.font }, bodyFont: { family: theme.font } };
}

/** The axis values are read against: faint grid lines across the plot, no axis line. */
export function valueAxisLines(theme: ChartTheme) {
  return { grid: { color: theme.grid }, border: { display: false } };
}

/** The axis that names the bars or steps: no grid lines, a rule along it. */
export function categoryAxisLines(theme: ChartTheme) {
  return { grid: { display: false }, border: { color: theme.grid } };
}
