/** poppler-utils (pdfinfo, pdftotext, pdftoppm) to read back the PDFs the report prints. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromiumCandidates } from '../../../../src/core/report/chromium';

export function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const canPrint =
  (Boolean(process.env.INFERSCOPE_CHROMIUM) || chromiumCandidates().some((p) => existsSync(p))) &&
  hasTool('pdfinfo') &&
  hasTool('pdftotext') &&
  hasTool('pdftoppm');

export function pdfInfo(file: string): { pages: number; pageSize: string; title: string } {
  const text = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { pages: Number(field('Pages')), pageSize: field('Page size'), title: field('Title') };
}

/** The text of the PDF (or of one page), with runs of whitespace made single spaces so wrapped sentences match. */
export function pdfText(file: string, page?: number): string {
  const args = page === undefined ? [file, '-'] : ['-f', String(page), '-l', String(page), file, '-'];
  return execFileSync('pdftotext', ['-enc', 'UTF-8', ...args], { encoding: 'utf8' }).replace(/\s+/g, ' ');
}

/** Renders every page to PNG at 50 dpi and returns the files, in page order. */
export function renderPngs(file: string, dir: string): string[] {
  execFileSync('pdftoppm', ['-png', '-r', '50', file, path.join(dir, 'page')]);
  return readdirSync(dir)
    .filter((f) => f.startsWith('page') && f.endsWith('.png'))
    .sort((a, b) => Number(/(\d+)\.png$/.exec(a)?.[1]) - Number(/(\d+)\.png$/.exec(b)?.[1]))
    .map((f) => path.join(dir, f));
}

/** One page as raw RGB (pdftoppm's default PPM output), to look at its pixels without a PNG decoder. */
export function renderPpm(file: string, page: number, dir: string): { width: number; height: number; rgb: Uint8Array } {
  const prefix = path.join(dir, `ppm-${page}`);
  execFileSync('pdftoppm', ['-r', '50', '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  const data = readFileSync(`${prefix}.ppm`);
  // "P6\n<width> <height>\n255\n" then width × height × 3 bytes.
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PPM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset + header[0].length, width * height * 3) };
}

/** Pixels in the charts' palette blue (#0072B2 and its tints), never in black or grey text. */
export function bluePixels(image: { rgb: Uint8Array }): number {
  let count = 0;
  for (let i = 0; i + 2 < image.rgb.length; i += 3) {
    const r = image.rgb[i] as number;
    const b = image.rgb[i + 2] as number;
    if (b - r > 60) count++;
  }
  return count;
}

export interface WordBox {
  text: string;
  page: number;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

export interface PageWords {
  page: number;
  /** Points (1/72 in). */
  width: number;
  height: number;
  words: WordBox[];
}

const unescapeXml = (s: string): string =>
  s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] as string);

/** Every word of every page with its box, in points from the page's top left (pdftotext -bbox-layout). */
export function pdfWords(file: string): PageWords[] {
  const xhtml = execFileSync('pdftotext', ['-enc', 'UTF-8', '-bbox-layout', file, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const pages: PageWords[] = [];
  for (const [index, chunk] of xhtml
    .split(/<page /)
    .slice(1)
    .entries()) {
    const size = /^width="([\d.]+)" height="([\d.]+)"/.exec(chunk);
    if (!size) throw new Error(`page ${index + 1} has no size in pdftotext's output`);
    const words: WordBox[] = [];
    for (const m of chunk.matchAll(/<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<\/word>/g)) {
      words.push({
        text: unescapeXml(m[5] as string),
        page: index + 1,
        xMin: Number(m[1]),
        yMin: Number(m[2]),
        xMax: Number(m[3]),
        yMax: Number(m[4]),
      });
    }
    pages.push({ page: index + 1, width: Number(size[1]), height: Number(size[2]), words });
  }
  return pages;
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(file: string): { width: number; height: number } {
  const head = readFileSync(file).subarray(0, 24);
  if (head.toString('latin1', 1, 4) !== 'PNG') throw new Error(`${file} is not a PNG`);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** How far two boxes overlap, in points along the shorter of the two overlaps; 0 when they do not. */
export function overlapOf(a: WordBox, b: WordBox): number {
  const x = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const y = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  return x > 0 && y > 0 ? Math.min(x, y) : 0;
}

export interface LayoutCheck {
  pages: number;
  words: number;
  /** The least room between a word and the page's left or right edge, pt. */
  worstMargin: number;
  /** The smallest word box (its height, pt): the smallest type on the pages. */
  smallest: WordBox | null;
  /** Words outside the printable area: cut at an edge, or into the side margins. */
  outside: string[];
  /** Pairs of words drawn over each other (by more than half a point each way). */
  overlaps: string[];
}

/**
 * Checks a printed PDF as a reader would look at it: every word inside the side margins and on the
 * page, and no two words on top of each other — in text, tables and charts' tick labels, tags and legends.
 */
export function checkLayout(file: string, sideMarginPt: number, slackPt = 1): LayoutCheck {
  const pages = pdfWords(file);
  const result: LayoutCheck = { pages: pages.length, words: 0, worstMargin: Infinity, smallest: null, outside: [], overlaps: [] };
  for (const page of pages) {
    result.words += page.words.length;
    for (const w of page.words) {
      result.worstMargin = Math.min(result.worstMargin, w.xMin, page.width - w.xMax);
      const out = w.xMin < sideMarginPt - slackPt || w.xMax > page.width - sideMarginPt + slackPt || w.yMin < 0 || w.yMax > page.height;
      if (out)
        result.outside.push(`page ${page.page}: "${w.text}" at x ${w.xMin.toFixed(1)}–${w.xMax.toFixed(1)} of ${page.width.toFixed(0)} pt`);
      if (!result.smallest || w.yMax - w.yMin < result.smallest.yMax - result.smallest.yMin) result.smallest = w;
    }
    const sorted = [...page.words].sort((a, b) => a.yMin - b.yMin);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i] as WordBox;
      for (let j = i + 1; j < sorted.length && (sorted[j] as WordBox).yMin < a.yMax; j++) {
        const b = sorted[j] as WordBox;
        const by = overlapOf(a, b);
        if (by > 0.5) result.overlaps.push(`page ${page.page}: "${a.text}" and "${b.text}" overlap by ${by.toFixed(1)} pt`);
      }
    }
  }
  return result;
}
