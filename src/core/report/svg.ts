/**
 * Just enough SVG to draw the report's charts as static markup: escaping, scales, ticks and
 * axes. Charts are inline SVG so the report needs no script, no network and prints as
 * vectors with selectable text.
 */

export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/**
 * Okabe–Ito, distinguishable with the common colour-vision deficiencies; its yellow is swapped
 * for olive, which stays visible on white paper.
 */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#999933', '#000000'] as const;

export function color(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** Shortest decimal form for SVG coordinates. */
export function n(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0';
}

/**
 * Advance widths of DejaVu Sans, the widest face of the report's font stack, in em: estimates from
 * them err on the wide side, so labels placed apart by them stay apart in any of the fonts.
 */
// prettier-ignore
const GLYPH_EM: Readonly<Record<string, number>> = {
  ' ': 0.318, '.': 0.318, ',': 0.318, ':': 0.337, ';': 0.337, '-': 0.361, '–': 0.5, '—': 1, '/': 0.337, '(': 0.39, ')': 0.39,
  '[': 0.39, ']': 0.39, '%': 0.95, '×': 0.838, '≤': 0.838, '·': 0.318, '±': 0.838, µ: 0.636, $: 0.636, '+': 0.838, '=': 0.838,
  a: 0.613, b: 0.635, c: 0.55, d: 0.635, e: 0.615, f: 0.352, g: 0.635, h: 0.634, i: 0.278, j: 0.278, k: 0.579, l: 0.278, m: 0.974,
  n: 0.634, o: 0.612, p: 0.635, q: 0.635, r: 0.411, s: 0.521, t: 0.392, u: 0.634, v: 0.592, w: 0.818, x: 0.592, y: 0.592, z: 0.525,
  I: 0.295, J: 0.295, M: 0.863, W: 0.989,
};

/** Width of `text` at `fontSize` px: digits 0.636 em, capitals about 0.7 em. */
export function textWidth(text: string, fontSize = 10): number {
  let em = 0;
  for (const ch of text) em += GLYPH_EM[ch] ?? (/[0-9]/.test(ch) ? 0.636 : /[A-Z]/.test(ch) ? 0.7 : 0.65);
  return em * fontSize;
}

/** DejaVu Sans's ascent and descent, in em: how far a line of text reaches above and below its baseline. */
const ASCENT_EM = 0.93;
const DESCENT_EM = 0.24;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The box a line of text takes, from its anchor point (baseline) and text-anchor. */
export function textBox(text: string, x: number, y: number, anchor: 'start' | 'middle' | 'end', fontSize = 10): Box {
  const w = textWidth(text, fontSize);
  const left = anchor === 'start' ? x : anchor === 'end' ? x - w : x - w / 2;
  return { x0: left, y0: y - ASCENT_EM * fontSize, x1: left + w, y1: y + DESCENT_EM * fontSize };
}

function boxesMeet(a: Box, b: Box, gap: number): boolean {
  return a.x0 < b.x1 + gap && b.x0 < a.x1 + gap && a.y0 < b.y1 + gap && b.y0 < a.y1 + gap;
}

/**
 * Places labels where they touch nothing placed before and stay inside `bounds`: the first
 * candidate position that fits wins; a label no candidate fits is left out (its point keeps its dot).
 */
export class LabelPlacer {
  private readonly placed: Box[] = [];

  constructor(private readonly bounds: Box) {}

  /** Something already drawn that labels must keep clear of. */
  block(box: Box): void {
    this.placed.push(box);
  }

  place(text: string, candidates: readonly { x: number; y: number; anchor: 'start' | 'middle' | 'end' }[]): string {
    for (const c of candidates) {
      const box = textBox(text, c.x, c.y, c.anchor);
      const inside = box.x0 >= this.bounds.x0 && box.x1 <= this.bounds.x1 && box.y0 >= this.bounds.y0 && box.y1 <= this.bounds.y1;
      if (!inside || this.placed.some((p) => boxesMeet(p, box, 1))) continue;
      this.placed.push(box);
      return `<text x="${n(c.x)}" y="${n(c.y)}"${c.anchor === 'start' ? '' : ` text-anchor="${c.anchor}"`}`;
    }
    return '';
  }
}

export interface Scale {
  (value: number): number;
  ticks: number[];
  log: boolean;
}

/** "Nice" ticks (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => (max - min) / s <= count + 0.5) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export function linearScale(domain: [number, number], range: [number, number], tickCount = 5): Scale {
  let [d0, d1] = domain;
  if (!(d1 > d0)) d1 = d0 + (d0 === 0 ? 1 : Math.abs(d0) * 0.1);
  const ticks = niceTicks(d0, d1, tickCount);
  // Extend to the outer ticks so the data never touches the frame.
  d0 = Math.min(d0, ticks[0] ?? d0);
  d1 = Math.max(d1, ticks[ticks.length - 1] ?? d1);
  const [r0, r1] = range;
  const scale = ((v: number) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0)) as Scale;
  scale.ticks = ticks;
  scale.log = false;
  return scale;
}

/** Tick labels closer than this (px) would run into each other. */
const MIN_TICK_SPACING = 40;

/** Log scale over whole decades, ticks at 1, 2, 5 × 10^k — only 10^k where those would crowd. */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  const lo = Math.max(domain[0], Number.MIN_VALUE);
  const hi = Math.max(domain[1], lo * 10);
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const [r0, r1] = range;
  const scale = ((v: number) => r0 + ((Math.log10(Math.max(v, Number.MIN_VALUE)) - d0) / (d1 - d0 || 1)) * (r1 - r0)) as Scale;
  const ticksWith = (multiples: readonly number[]): number[] => {
    const ticks: number[] = [];
    for (let k = d0; k <= d1; k++) {
      for (const m of multiples) {
        const t = m * 10 ** k;
        if (t >= 10 ** d0 && t <= 10 ** d1) ticks.push(Number(t.toPrecision(6)));
      }
    }
    return ticks;
  };
  // 2 → 5 is the narrowest step of 1-2-5 ticks: log10(2.5) of a decade.
  const decadePx = Math.abs(r1 - r0) / Math.max(1, d1 - d0);
  scale.ticks = decadePx * Math.log10(2.5) >= MIN_TICK_SPACING ? ticksWith([1, 2, 5]) : ticksWith([1]);
  scale.log = true;
  return scale;
}

/** A log scale once values span more than ×20, where a linear one would crush the fast configurations. */
export function autoScale(values: readonly number[], range: [number, number], options: { zero?: boolean } = {}): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  const min = finite.length ? Math.min(...finite) : 0;
  const max = finite.length ? Math.max(...finite) : 1;
  if (min > 0 && max / min > 20) return logScale([min, max], range);
  return linearScale([options.zero === false ? min : Math.min(0, min), max], range);
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

export function svgOpen(f: Frame, title: string, description: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" ` +
    `height="${f.height}" role="img" aria-labelledby="t" font-size="10"><title>${esc(title)}</title><desc>${esc(description)}</desc>`
  );
}

/** Baselines under the x axis: tick labels, then the axis's label; a frame's bottom keeps X_AXIS_DEPTH for them. */
const X_TICK_BASELINE = 16;
const X_LABEL_BASELINE = 30;
export const X_AXIS_DEPTH = 34;
/** Least room between two tick labels, px. */
const TICK_LABEL_GAP = 6;

export function xAxis(f: Frame, scale: Scale, format: (v: number) => string, label: string): string {
  const { x0, x1, y0, y1 } = plotArea(f);
  const parts = [`<line class="axis" x1="${n(x0)}" y1="${n(y0)}" x2="${n(x1)}" y2="${n(y0)}" />`];
  // Far enough below the axis to clear the lowest label of the y axis; a tick label that would run into the one before is left out.
  let lastRight = -Infinity;
  for (const t of scale.ticks) {
    const x = scale(t);
    parts.push(`<line class="grid" x1="${n(x)}" y1="${n(y0)}" x2="${n(x)}" y2="${n(y1)}" />`);
    const text = format(t);
    const box = textBox(text, x, y0 + X_TICK_BASELINE, 'middle');
    if (box.x0 < lastRight + TICK_LABEL_GAP) continue;
    lastRight = box.x1;
    parts.push(`<text x="${n(x)}" y="${n(y0 + X_TICK_BASELINE)}" text-anchor="middle">${esc(text)}</text>`);
  }
  parts.push(`<text class="axis-label" x="${n((x0 + x1) / 2)}" y="${n(y0 + X_LABEL_BASELINE)}" text-anchor="middle">${esc(label)}</text>`);
  return parts.join('');
}

export function yAxis(f: Frame, scale: Scale, format: (v: number) => string, label: string): string {
  const { x0, x1, y0, y1 } = plotArea(f);
  const parts = [`<line class="axis" x1="${n(x0)}" y1="${n(y0)}" x2="${n(x0)}" y2="${n(y1)}" />`];
  let lastTop = Infinity;
  for (const t of scale.ticks) {
    const y = scale(t);
    parts.push(`<line class="grid" x1="${n(x0)}" y1="${n(y)}" x2="${n(x1)}" y2="${n(y)}" />`);
    const box = textBox(format(t), x0 - 4, y + 3, 'end');
    if (box.y1 > lastTop - 1) continue;
    lastTop = box.y0;
    parts.push(`<text x="${n(x0 - 4)}" y="${n(y + 3)}" text-anchor="end">${esc(format(t))}</text>`);
  }
  parts.push(
    `<text class="axis-label" transform="translate(11 ${n((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
  );
  return parts.join('');
}

/** Where each legend entry goes: left to right, a new row before an entry that would overflow. */
function legendLayout(f: Pick<Frame, 'width' | 'left'>, labels: readonly string[]): { x: number; row: number }[] {
  const right = f.width - 8;
  let x = f.left;
  let row = 0;
  return labels.map((label) => {
    const width = 28 + textWidth(label);
    if (x > f.left && x + width > right) {
      x = f.left;
      row++;
    }
    const at = { x, row };
    x += width;
    return at;
  });
}

/** The legend under the plot, from baseline `y`, 13 px per row. */
export function legend(f: Frame, entries: readonly { label: string; color: string; dashed?: boolean }[], y: number): string {
  const layout = legendLayout(
    f,
    entries.map((e) => e.label),
  );
  return entries
    .map((e, i) => {
      const { x, row } = layout[i] as { x: number; row: number };
      const ly = y + row * 13;
      return (
        `<line x1="${n(x)}" y1="${n(ly - 3)}" x2="${n(x + 16)}" y2="${n(ly - 3)}" stroke="${e.color}" ` +
        `stroke-width="2"${e.dashed ? ' stroke-dasharray="4 3"' : ''} />` +
        `<text x="${n(x + 20)}" y="${n(ly)}">${esc(e.label)}</text>`
      );
    })
    .join('');
}

/** Rows the legend takes, so the frame can reserve room for it. */
export function legendRows(f: Pick<Frame, 'width' | 'left'>, labels: readonly string[]): number {
  const layout = legendLayout(f, labels);
  return layout.length ? (layout[layout.length - 1] as { row: number }).row + 1 : 0;
}
